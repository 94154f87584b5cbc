//go:build !noasm

package cpu

import (
	xcpu "golang.org/x/sys/cpu"

	"landscape/model"
)

// The element-wise kernels for CPUs with AVX2 and FMA but no AVX-512 (eltwise_avx2_amd64.s),
// 8 floats at a time; the last len%8 elements (no masked loads in AVX2) by the Go loops or the
// reference ActivateLayer. The same results as the AVX-512 kernels, bit for bit, except
// Sigmoid and SiLU: the same Cephes expf, but 1/(1 + e) by a division rather than VRCP14PS and
// a Newton step (both within the reference's 4 ulp).

//go:noescape
func clampAVX2(dst, src *float32, n int, lo, hi float32)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func scaleAVX2(dst, src *float32, n int, f float32)

//go:noescape
func hardSwishAVX2(dst, src *float32, n int)

//go:noescape
func hardSigmoidAVX2(dst, src *float32, n int, alpha, beta float64)

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func siluAVX2(dst, src *float32, n int)

//go:noescape
func sumAVX2(src *float32, n int) float64

// hasEltAVX2: the CPU runs eltwise_avx2_amd64.s (used where hasEltAsm is false).
var hasEltAVX2 = xcpu.X86.HasAVX2 && xcpu.X86.HasFMA

// activateAVX2 applies kind to src into dst with eltwise_avx2_amd64.s (the tail by
// ActivateLayer) and reports whether it could. len(src) ≥ len(dst) > 0.
func activateAVX2(kind kindParams, dst, src []float32) bool {
	n := len(dst) &^ 7
	if !hasEltAVX2 || kind.op == actNone || kind.op > actSiLU {
		return false
	}
	if n > 0 {
		_ = src[len(dst)-1]
		d, s := &dst[0], &src[0]
		switch kind.op {
		case actClamp:
			clampAVX2(d, s, n, kind.lo, kind.hi)
		case actHardSwish:
			hardSwishAVX2(d, s, n)
		case actHardSigmoid:
			hardSigmoidAVX2(d, s, n, float64(kind.alpha), float64(kind.beta))
		case actSigmoid:
			sigmoidAVX2(d, s, n)
		case actSiLU:
			siluAVX2(d, s, n)
		}
	}
	if n < len(dst) {
		l := &model.Layer{Lo: kind.lo, Hi: kind.hi, Alpha: kind.alpha, Beta: kind.beta}
		ActivateLayer(actKinds[kind.op], l, dst[n:], src[n:len(dst)])
	}
	return true
}

// actKinds maps a kernel's activation back to its layer kind (ReLU is a clamp).
var actKinds = [...]model.OpKind{actClamp: model.OpClip, actHardSwish: model.OpHardSwish,
	actHardSigmoid: model.OpHardSigmoid, actSigmoid: model.OpSigmoid, actSiLU: model.OpSiLU}

// addRowAVX2 is addRow with eltwise_avx2_amd64.s where the CPU has AVX2, else in Go.
func addRowAVX2(dst, a, b []float32) {
	n := len(dst) &^ 7
	if !hasEltAVX2 || n == 0 {
		addRowGo(dst, a, b)
		return
	}
	_, _ = a[len(dst)-1], b[len(dst)-1]
	addAVX2(&dst[0], &a[0], &b[0], n)
	addRowGo(dst[n:], a[n:], b[n:])
}

// mulRowAVX2 is mulRow with eltwise_avx2_amd64.s where the CPU has AVX2, else in Go.
func mulRowAVX2(dst, a, b []float32) {
	n := len(dst) &^ 7
	if !hasEltAVX2 || n == 0 {
		mulRowGo(dst, a, b)
		return
	}
	_, _ = a[len(dst)-1], b[len(dst)-1]
	mulAVX2(&dst[0], &a[0], &b[0], n)
	mulRowGo(dst[n:], a[n:], b[n:])
}

// scaleRowAVX2 is scaleRow with eltwise_avx2_amd64.s where the CPU has AVX2, else in Go.
func scaleRowAVX2(dst, src []float32, f float32) {
	n := len(dst) &^ 7
	if !hasEltAVX2 || n == 0 {
		scaleRowGo(dst, src, f)
		return
	}
	_ = src[len(dst)-1]
	scaleAVX2(&dst[0], &src[0], n, f)
	scaleRowGo(dst[n:], src[n:], f)
}

// sumRowAVX2 is sumRow with eltwise_avx2_amd64.s where the CPU has AVX2, else in Go (the
// float64 sums in another order).
func sumRowAVX2(src []float32) float64 {
	n := len(src) &^ 7
	if !hasEltAVX2 || n == 0 {
		return sumRowGo(src)
	}
	return sumAVX2(&src[0], n) + sumRowGo(src[n:])
}
