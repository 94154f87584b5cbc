// Package train trains the zoo networks with SGD on the CPU, in pure Go, with PyTorch's
// semantics: batch norm in training mode (batch statistics, running averages), mean
// cross-entropy over each batch, and torch.optim.SGD's update with momentum, Nesterov and
// weight decay.
//
// Activations of a batch of B images are kept "channels first": slot s holds a [C][B][H·W]
// array, so that a convolution over a range of images is one matrix product (weights
// [Cout × Cin·K·K] times the im2col matrix [Cin·K·K × images·OH·OW]) and batch norm's
// statistics run over contiguous rows. Convolutions and linear layers are split across
// goroutines by image, batch norm by channel; each goroutine accumulates its own weight
// gradients, summed in a fixed order so that results do not depend on scheduling.
//
// The kernels are generic over float32 and float64: float32 for training (matrix products by
// landscape/cpu/gemm, the forward pass's matrix core), float64 for the gradient checks
// against finite differences.
package train

import (
	"landscape/cpu/gemm"
	"landscape/engine"
)

// Float is the element type of a network being trained (engine.Float: the constraint the
// loss and cpu.Im2col take too).
type Float = engine.Float

// matmul computes C = alpha·op(A)·op(B) + beta·C for row-major matrices (op(X) = X or Xᵀ;
// op(A) is m×k, op(B) k×n, C m×n; lda, ldb, ldc are row strides). float32 goes to
// gemm.Sgemm; float64 (the gradient checks) to a plain triple loop. beta = 0 overwrites C.
func matmul[T Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if a32, ok := any(a).([]float32); ok {
		gemm.Sgemm(tA, tB, m, n, k, float32(alpha), a32, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			var s T
			for p := range k {
				ai, bi := i*lda+p, p*ldb+j
				if tA {
					ai = p*lda + i
				}
				if tB {
					bi = j*ldb + p
				}
				s += a[ai] * b[bi]
			}
			if beta == 0 {
				row[j] = alpha * s
			} else {
				row[j] = alpha*s + beta*row[j]
			}
		}
	}
}
