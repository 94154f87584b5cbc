package gemm

import "unsafe"

// portableImpl is the pure-Go implementation: every architecture without
// assembly kernels, and every build with -tags noasm.
var portableImpl = &impl{
	name: "portable", mr: 4, kernels: []panelKernel{{4, kernPortable4x4}},
	kc: 256, mc: 128, nc: 2048,
	epis: []epiKernelFunc{epiPortable4x4}, gather: gatherGo,
}

// at is the float32 at p + off bytes.
func at(p unsafe.Pointer, off int) float32 { return *(*float32)(unsafe.Add(p, off)) }

// kernPortable4x4 is the portable 4×4 micro-kernel (see kernelFunc). Its 16
// accumulators, row of B and element of A (21 values) stay in registers on
// the architectures with 32 floating-point registers (arm64, riscv64,
// ppc64, loong64, mips), where the compiler also fuses each c += a·b into
// one FMA; x86-64 has 16 and spills a few. B is addressed with unsafe
// pointer arithmetic (the callers, gemm and Fused, have checked every
// bound); A keeps its bounds checks: they split the k step into four
// blocks, one per row, which Go's scheduler does not reorder across, so
// that it cannot issue all 16 products before the 16 sums (a version
// without them spilled on x86-64 and ran at 0.83× the speed of the old,
// fully checked kernel; this one at about 1.1×: bench/RESULTS.md).
func kernPortable4x4(k int, ap *float32, rsa, csa int, bp *float32, ldb int, cp *float32, ldc int, alpha, beta float32, pack *float32) {
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
	b, lb := unsafe.Pointer(bp), 4*ldb
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	for p, i := 0, 0; p < k; p, i = p+1, i+csa {
		b0, b1, b2, b3 := at(b, 0), at(b, 4), at(b, 8), at(b, 12)
		a0 := a[i]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[i+rsa]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := a[i+2*rsa]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := a[i+3*rsa]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		b = unsafe.Add(b, lb)
	}
	c := unsafe.Slice(cp, 3*ldc+4)
	update4(c[0:4:4], c00, c01, c02, c03, alpha, beta)
	update4(c[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	update4(c[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	update4(c[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

// update4 sets c[j] = alpha·t_j + beta·c[j] (c not read when beta == 0).
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

// epiPortable4x4 is the portable epiKernelFunc.
func epiPortable4x4(k int, a *float32, rsa, csa int, b *float32, ldb int, cp *float32, ldc int, biasp *float32, resp *float32, ldr int, flags int, _ *gatherArgs) {
	var beta float32
	if flags&fusedAcc != 0 {
		beta = 1
	}
	kernPortable4x4(k, a, rsa, csa, b, ldb, cp, ldc, 1, beta, nil)
	epilogueGo(4, 4, cp, ldc, biasp, resp, ldr, flags)
}
