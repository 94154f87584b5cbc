//go:build noasm || !amd64

package gemm

func roundBF16Asm(x []float32) int { return 0 }
