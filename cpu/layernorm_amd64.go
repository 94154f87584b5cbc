//go:build !noasm

package cpu

//go:noescape
func sqDevAVX512(acc *float64, x *float32, mu *float64, n int)

//go:noescape
func lnOutAVX512(out, x *float32, mu, inv *float64, n int, gam, bet float64)

// sqDevRow sets acc[i] += (float64(x[i]) − mu[i])² for i < len(acc) (AVX-512 where the CPU
// has it, else sqDevRowGo: the same operations).
func sqDevRow(acc []float64, x []float32, mu []float64) {
	if !hasEltAsm || len(acc) == 0 {
		sqDevRowGo(acc, x, mu)
		return
	}
	_, _ = x[len(acc)-1], mu[len(acc)-1]
	sqDevAVX512(&acc[0], &x[0], &mu[0], len(acc))
}

// lnOutRow sets out[i] = float32((float64(x[i]) − mu[i])·inv[i]·g + b) for i < len(out)
// (AVX-512 where the CPU has it, else lnOutRowGo).
func lnOutRow(out, x []float32, mu, inv []float64, g, b float64) {
	if !hasEltAsm || len(out) == 0 {
		lnOutRowGo(out, x, mu, inv, g, b)
		return
	}
	_, _, _ = x[len(out)-1], mu[len(out)-1], inv[len(out)-1]
	lnOutAVX512(&out[0], &x[0], &mu[0], &inv[0], len(out), g, b)
}
