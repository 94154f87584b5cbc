//go:build !noasm

package cpu

//go:noescape
func expSubAVX512(dst, src, m *float32, n int)

//go:noescape
func addF64AVX512(dst *float64, src *float32, n int)

// addF64Row sets dst[i] += float64(src[i]) for i < len(dst) (AVX-512 where the CPU has it).
func addF64Row(dst []float64, src []float32) {
	if !hasEltAsm || len(dst) == 0 {
		addF64RowGo(dst, src)
		return
	}
	_ = src[len(dst)-1]
	addF64AVX512(&dst[0], &src[0], len(dst))
}

// expSubRow sets dst[i] = e^(src[i] − m[i]) for i < len(dst) in float32: softmax_amd64.s
// where the CPU has AVX-512, else expSubRowGo (the same operations).
func expSubRow(dst, src, m []float32) {
	if !hasEltAsm || len(dst) == 0 {
		expSubRowGo(dst, src, m)
		return
	}
	_, _ = src[len(dst)-1], m[len(dst)-1]
	expSubAVX512(&dst[0], &src[0], &m[0], len(dst))
}
