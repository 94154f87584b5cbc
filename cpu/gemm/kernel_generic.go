package gemm

import "unsafe"

var genericImpl = &impl{
	name: "generic", mr: 4, kernels: []panelKernel{{4, kernGeneric4x4}},
	kc: 256, mc: 128, nc: 2048,
	epis: []epiKernelFunc{epiGeneric4x4}, gather: gatherGo,
}

// kernGeneric4x4 is the portable 4×4 micro-kernel (see kernelFunc).
func kernGeneric4x4(k int, ap *float32, rsa, csa int, bp *float32, ldb int, cp *float32, ldc int, alpha, beta float32, pack *float32) {
	if k <= 0 {
		return
	}
	if pack != nil {
		dst := unsafe.Slice(pack, 4*k)
		src := unsafe.Slice(bp, (k-1)*ldb+4)
		for p := 0; p < k; p++ {
			copy(dst[4*p:4*p+4], src[p*ldb:p*ldb+4])
		}
	}
	a := unsafe.Slice(ap, 3*rsa+(k-1)*csa+1)
	b := unsafe.Slice(bp, (k-1)*ldb+4)
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		bk := b[p*ldb : p*ldb+4 : p*ldb+4]
		b0, b1, b2, b3 := bk[0], bk[1], bk[2], bk[3]
		a0 := a[p*csa]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[p*csa+rsa]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := a[p*csa+2*rsa]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := a[p*csa+3*rsa]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	c := unsafe.Slice(cp, 3*ldc+4)
	update4(c[0:4:4], c00, c01, c02, c03, alpha, beta)
	update4(c[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	update4(c[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	update4(c[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

func update4(c []float32, t0, t1, t2, t3, alpha, beta float32) {
	if beta == 0 {
		c[0] = alpha * t0
		c[1] = alpha * t1
		c[2] = alpha * t2
		c[3] = alpha * t3
		return
	}
	c[0] = alpha*t0 + beta*c[0]
	c[1] = alpha*t1 + beta*c[1]
	c[2] = alpha*t2 + beta*c[2]
	c[3] = alpha*t3 + beta*c[3]
}
