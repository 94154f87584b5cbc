package cpu

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

var impl gonum.Implementation

// matmul computes c = a·b for row-major a [m×k], b [k×n], c [m×n].
func matmul(m, n, k int, a, b, c []float32) {
	impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
}
