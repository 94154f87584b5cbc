//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

// Max pooling's row kernels for CPUs with AVX2 but no AVX-512 (pool_avx2_amd64.s), 8 floats at
// a time, the last len%8 outputs in Go: the same maxima (NaN if any is NaN) as the AVX-512
// kernels and the Go loops, bit for bit.

//go:noescape
func maxIntoAVX2(dst, src *float32, n int)

//go:noescape
func maxWindowAVX2(out, cm *float32, n, kw, sw int)

// hasPoolAVX2: the CPU runs pool_avx2_amd64.s (used where hasPoolAsm is false).
var hasPoolAVX2 = xcpu.X86.HasAVX2

// maxIntoAVX2Go is maxInto with maxIntoAVX2 where the CPU has AVX2, else maxIntoGo.
func maxIntoAVX2Go(dst, src []float32) {
	n := len(dst) &^ 7
	if !hasPoolAVX2 || n == 0 {
		maxIntoGo(dst, src)
		return
	}
	_ = src[len(dst)-1]
	maxIntoAVX2(&dst[0], &src[0], n)
	maxIntoGo(dst[n:], src[n:])
}

// maxWindowAVX2Go is maxWindow with maxWindowAVX2 (sw of 1 or 2) where the CPU has AVX2, else
// maxWindowGo.
func maxWindowAVX2Go(out, cm []float32, kw, sw int) {
	n := len(out) &^ 7
	if !hasPoolAVX2 || n == 0 || sw > 2 {
		maxWindowGo(out, cm, kw, sw)
		return
	}
	_ = cm[windowSpan(len(out), kw, sw)-1]
	maxWindowAVX2(&out[0], &cm[0], n, kw, sw)
	maxWindowGo(out[n:], cm[n*sw:], kw, sw)
}
