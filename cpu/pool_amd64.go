//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func maxIntoAVX512(dst, src *float32, n int)

//go:noescape
func maxWindowAVX512(out, cm *float32, n, kw, sw int)

var hasPoolAsm = xcpu.X86.HasAVX512F

// maxInto sets dst[i] = max(dst[i], src[i]) for i < len(dst), NaN if either is NaN.
func maxInto(dst, src []float32) {
	if !hasPoolAsm || len(dst) == 0 {
		maxIntoAVX2Go(dst, src) // AVX2 where the CPU has it, else Go
		return
	}
	_ = src[len(dst)-1]
	maxIntoAVX512(&dst[0], &src[0], len(dst))
}

// maxWindow sets out[o] to the maximum of cm[o·sw : o·sw+kw] (NaN if one is NaN). cm must hold
// windowSpan(len(out), kw, sw) floats; with AVX-512 and sw of 1 or 2 they are read 16 at a time.
func maxWindow(out, cm []float32, kw, sw int) {
	if !hasPoolAsm || len(out) == 0 || sw > 2 {
		maxWindowAVX2Go(out, cm, kw, sw)
		return
	}
	_ = cm[windowSpan(len(out), kw, sw)-1]
	maxWindowAVX512(&out[0], &cm[0], len(out), kw, sw)
}
