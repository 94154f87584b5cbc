package cpu

import "math"

// GELU in float32 (geluGo, and gelu_amd64.s's AVX-512 twin with the same operations; the
// engine uses it where the CPU has AVX-512, else ActivateLayer's float64 formula):
//
//	GELU(x) = x·Φ(x),  Φ(x) = 1 − q (x ≥ 0),  Φ(x) = q (x < 0),  q = Φ(−|x|) = ½·erfc(|x|/√2)
//
// with q = e^(−x²/2)·R(t), t = 1/(1 + 0.3·|x|), R(t) = t·P(t) and P a degree-9 polynomial
// fitted to ½·erfcx(|x|/√2)/t on |x| ≤ 14.6 by tools/gelu_fit.py (relative error 1.5e-8 with
// the coefficients rounded to float32, below float32's ulp; beyond 14.6, q is 0 in float32). x² is split exactly into h + l (h = x·x rounded, l by a fused
// multiply-add), e^(−h/2) is Cephes' expf (as the Sigmoid kernels) and e^(−l/2) ≈ 1 − l/2, so
// the argument's rounding is not amplified for large |x|. No cancellation on either side: q is
// computed directly, never as 1 + erf(·) (which loses every digit of the float64 reference
// ActivateLayer uses below x ≈ −6). Measured against x/2·erfc(−x/√2) in float64 on every 61st
// float32 in [−16, 16] (TestGELUAccuracy): at most 10 ulp (the float32
// rounding of t and of P's Horner steps; the fit itself is exact to float32); NaN
// stays NaN, GELU(+Inf) = +Inf, GELU(−Inf) = NaN as in the float64 formula.

// geluA is the t = 1/(1 + geluA·|x|) scale; geluMax the |x| beyond which q is 0 in float32.
const (
	geluA   = float32(0.3)
	geluMax = float32(14.6)
)

// geluP holds P's coefficients, highest degree first (float32 bits of a Lawson-weighted
// minimax fit of relative error in float64, t on Chebyshev nodes over [1/(1+0.3·14.6), 1]:
// tools/gelu_fit.py prints them).
var geluP = [10]uint32{
	0xbca8f5b0, 0x3de64909, 0xbe69b62b, 0x3e446a8e, 0xbda2b595,
	0x3dc4f50b, 0x3da08829, 0x3de1c3b2, 0x3df4e1ff, 0x3df51e4d,
}

// Cephes expf's constants (as eltwise_amd64.s's EXPCONST): log2(e), ln 2 = c1 + c2, and the
// polynomial p0…p5 of e^r = 1 + r + r²·P(r) on |r| ≤ ln2/2.
var expfC = [9]uint32{
	0x3fb8aa3b, 0x3f318000, 0xb95e8083,
	0x39506967, 0x3ab743ce, 0x3c088908, 0x3d2aa9c1, 0x3e2aaaaa, 0x3f000000,
}

// expfK and geluPK are expfC and geluP as float32 values.
var expfK, geluPK = floats32(expfC[:]), floats32(geluP[:])

// floats32 returns the float32 values of IEEE bit patterns (at most 10).
func floats32(bits []uint32) (v [10]float32) {
	for i, b := range bits {
		v[i] = math.Float32frombits(b)
	}
	return v
}

// fma32 is a·b + c rounded once to float32 (through float64's fused multiply-add: the product
// of two float32 values is exact in float64; the sum may round twice, which on rare inputs
// differs from the vector FMA in the last bit).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// expf is e^x for −104 ≤ x ≤ 0 by Cephes' expf, step for step as the AVX-512 kernels compute it
// (the final scaling by 2^n rounded once, as VSCALEFPS does, subnormals included). NaN gives NaN.
func expf(x float32) float32 {
	f := &expfK
	n := float32(math.RoundToEven(float64(float32(x * f[0]))))
	r := fma32(-n, f[1], x)
	r = fma32(-n, f[2], r)
	p := f[3]
	for _, c := range f[4:9] {
		p = fma32(p, r, c)
	}
	r2 := float32(r * r)
	y := fma32(p, r2, r)
	y = float32(y + 1)
	return scale2(y, int32(n))
}

// scale2 is y·2^n rounded once to float32 (as VSCALEFPS), for −252 ≤ n ≤ 127 and y in [½, 2]:
// the product by 2^⌊n/2⌋ (a normal power of two) is exact, the second one rounds.
func scale2(y float32, n int32) float32 {
	n1 := n >> 1
	p1 := math.Float32frombits(uint32(n1+127) << 23)
	p2 := math.Float32frombits(uint32(n-n1+127) << 23)
	return float32(y*p1) * p2
}

// geluOne is GELU(x) in float32 (the algorithm above).
func geluOne(x float32) float32 {
	ax := float32(math.Abs(float64(x)))
	if ax > geluMax {
		ax = geluMax
	}
	t := float32(1) / fma32(geluA, ax, 1)
	h := float32(ax * ax)
	l := fma32(ax, ax, -h)
	e := expf(-float32(h * 0.5))
	e = fma32(-e, float32(l*0.5), e)
	p := geluPK[0]
	for _, c := range geluPK[1:] {
		p = fma32(p, t, c)
	}
	q := float32(e * float32(p*t))
	if math.Signbit(float64(x)) {
		return float32(x * q)
	}
	return float32(x * float32(1-q))
}

// geluGo sets dst[i] = GELU(src[i]) for i < len(dst) in float32 (geluOne).
func geluGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = geluOne(v)
	}
}
