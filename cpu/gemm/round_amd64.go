//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// roundBF16AVX512 rounds x[0:n], n a multiple of 16, to bfloat16 in place (round_amd64.s).
//
//go:noescape
func roundBF16AVX512(x *float32, n int)

// roundBF16Asm rounds the longest prefix of x that it can (a multiple of 16 floats, with
// AVX-512) and returns its length.
func roundBF16Asm(x []float32) int {
	n := len(x) &^ 15
	if !cpu.X86.HasAVX512F || n == 0 {
		return 0
	}
	roundBF16AVX512(&x[0], n)
	return n
}
