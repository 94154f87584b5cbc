package cpu

import "landscape/cpu/gemm"

// matmul computes c = a·b for row-major a [m×k], b [k×n], c [m×n] with the packed, register-
// blocked GEMM of package gemm (AVX-512 or AVX2 assembly, pure Go elsewhere and with -tags noasm).
func matmul(m, n, k int, a, b, c []float32) {
	gemm.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
}
