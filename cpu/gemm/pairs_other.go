//go:build noasm || !amd64

package gemm

func packPairsAsm(dst []uint32, lo, hi []float32) int { return 0 }
