//go:build !noasm

package cpu

//go:noescape
func geluAVX512(dst, src *float32, n int)

// gelu sets dst[i] = GELU(src[i]) for i < len(dst) in float32 (gelu.go): gelu_amd64.s where
// the CPU has AVX-512, else geluGo.
func gelu(dst, src []float32) {
	if !hasEltAsm || len(dst) == 0 {
		geluGo(dst, src)
		return
	}
	_ = src[len(dst)-1]
	geluAVX512(&dst[0], &src[0], len(dst))
}
