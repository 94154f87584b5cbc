//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func axpyAVX512(dst, src *float32, n int, a float32)

var hasAxpyAsm = xcpu.X86.HasAVX512F

// axpy sets dst[i] += a·src[i] for i < len(dst) (src at least as long), with AVX-512 where the
// CPU has it, rounding as the Go loop does (a product, then a sum).
func axpy(dst, src []float32, a float32) {
	if !hasAxpyAsm || len(dst) == 0 {
		axpyGo(dst, src, a)
		return
	}
	_ = src[len(dst)-1]
	axpyAVX512(&dst[0], &src[0], len(dst), a)
}
