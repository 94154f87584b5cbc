//go:build noasm || !amd64

package cpu

// sqDevRow sets acc[i] += (float64(x[i]) − mu[i])² for i < len(acc).
func sqDevRow(acc []float64, x []float32, mu []float64) { sqDevRowGo(acc, x, mu) }

// lnOutRow sets out[i] = float32((float64(x[i]) − mu[i])·inv[i]·g + b) for i < len(out).
func lnOutRow(out, x []float32, mu, inv []float64, g, b float64) { lnOutRowGo(out, x, mu, inv, g, b) }
