//go:build !amd64

package cpu

// The block of winoKernel elsewhere: 4×4. arm64, riscv64, ppc64, loong64 and the others have
// 32 floating-point registers and fuse c += a·b into one FMA: the 16 accumulators, a row of b
// and an element of a stay in registers, at half a load per multiply-add (1×8 needs 1.1).
const winoBR, winoBC = 4, 4

// winoKernel sets the 4×4 block c[i·ld + j] = Σ_p a[i·k + p]·b[p·ld + j].
func winoKernel(c, a, b []float32, k, ld int) {
	a0, a1, a2, a3 := a[:k], a[k:2*k], a[2*k:3*k], a[3*k:4*k]
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	for p := range a0 {
		r := b[p*ld:][:4]
		b0, b1, b2, b3 := r[0], r[1], r[2], r[3]
		x := a0[p]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = a1[p]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = a2[p]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = a3[p]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	for i, row := range [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}} {
		copy(c[i*ld:][:4], row[:])
	}
}
