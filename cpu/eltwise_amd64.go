//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func clampAVX512(dst, src *float32, n int, lo, hi float32)

//go:noescape
func addAVX512(dst, a, b *float32, n int)

//go:noescape
func mulAVX512(dst, a, b *float32, n int)

//go:noescape
func scaleAVX512(dst, src *float32, n int, f float32)

//go:noescape
func hardSwishAVX512(dst, src *float32, n int)

//go:noescape
func hardSigmoidAVX512(dst, src *float32, n int, alpha, beta float64)

//go:noescape
func sigmoidAVX512(dst, src *float32, n int)

//go:noescape
func siluAVX512(dst, src *float32, n int)

//go:noescape
func sumAVX512(src *float32, n int) float64

// hasEltAsm: the CPU runs eltwise_amd64.s (AVX-512 with 256-bit masked stores).
var hasEltAsm = xcpu.X86.HasAVX512F && xcpu.X86.HasAVX512VL

// activateAsm applies kind to src into dst with eltwise_amd64.s and reports whether it could
// (the CPU has AVX-512 and the kind has a kernel). len(src) ≥ len(dst) > 0.
func activateAsm(kind kindParams, dst, src []float32) bool {
	if !hasEltAsm {
		return activateAVX2(kind, dst, src) // AVX2 where the CPU has it (eltwise_avx2_amd64.go)
	}
	_ = src[len(dst)-1]
	d, s, n := &dst[0], &src[0], len(dst)
	switch kind.op {
	case actClamp:
		clampAVX512(d, s, n, kind.lo, kind.hi)
	case actHardSwish:
		hardSwishAVX512(d, s, n)
	case actHardSigmoid:
		hardSigmoidAVX512(d, s, n, float64(kind.alpha), float64(kind.beta))
	case actSigmoid:
		sigmoidAVX512(d, s, n)
	case actSiLU:
		siluAVX512(d, s, n)
	default:
		return false
	}
	return true
}

// addRow sets dst[i] = a[i] + b[i] for i < len(dst).
func addRow(dst, a, b []float32) {
	if !hasEltAsm || len(dst) == 0 {
		addRowAVX2(dst, a, b)
		return
	}
	_, _ = a[len(dst)-1], b[len(dst)-1]
	addAVX512(&dst[0], &a[0], &b[0], len(dst))
}

// mulRow sets dst[i] = a[i] · b[i] for i < len(dst).
func mulRow(dst, a, b []float32) {
	if !hasEltAsm || len(dst) == 0 {
		mulRowAVX2(dst, a, b)
		return
	}
	_, _ = a[len(dst)-1], b[len(dst)-1]
	mulAVX512(&dst[0], &a[0], &b[0], len(dst))
}

// scaleRow sets dst[i] = src[i] · f for i < len(dst).
func scaleRow(dst, src []float32, f float32) {
	if !hasEltAsm || len(dst) == 0 {
		scaleRowAVX2(dst, src, f)
		return
	}
	_ = src[len(dst)-1]
	scaleAVX512(&dst[0], &src[0], len(dst), f)
}

// sumRow returns Σ float64(src[i]), with AVX-512 where the CPU has it (in another order than
// sumRowGo: the float64 sums of float32 values may differ in their last bits).
func sumRow(src []float32) float64 {
	if !hasEltAsm || len(src) == 0 {
		return sumRowAVX2(src)
	}
	return sumAVX512(&src[0], len(src))
}
