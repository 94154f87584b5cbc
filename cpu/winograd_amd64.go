package cpu

import "unsafe"

// The block of winoKernel on x86-64: one row by 8 columns. x86-64 has 16 floating-point
// registers and (at GOAMD64 v1, Go's default) no fused multiply-add: a 4×4 block's 16
// accumulators spill, while 1×8 keeps its 8 accumulators, the row's element and most of the 8
// products in registers. Measured on the Winograd products of resnet20's shapes (-tags noasm,
// one core): 1×8 ran at 1.3–1.5× the 4×4's speed, 2×4 at 1.2× (bench/RESULTS.md).
const winoBR, winoBC = 1, 8

// winoKernel sets c[j] = Σ_p a[p]·b[p·ld + j], j < 8. B's rows are addressed by pointer after
// one bounds check of the last (with per-row checks it ran at 0.85–0.9× this speed).
func winoKernel(c, a, b []float32, k, ld int) {
	a = a[:k]
	_ = b[(k-1)*ld+7]
	bp := unsafe.Pointer(unsafe.SliceData(b))
	var c0, c1, c2, c3, c4, c5, c6, c7 float32
	for _, x := range a {
		r := (*[8]float32)(bp)
		c0 += x * r[0]
		c1 += x * r[1]
		c2 += x * r[2]
		c3 += x * r[3]
		c4 += x * r[4]
		c5 += x * r[5]
		c6 += x * r[6]
		c7 += x * r[7]
		bp = unsafe.Add(bp, 4*ld)
	}
	r := c[:8]
	r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = c0, c1, c2, c3, c4, c5, c6, c7
}
