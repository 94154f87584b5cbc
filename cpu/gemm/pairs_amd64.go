//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

// packPairsAVX512 is PackPairs for n words, n a multiple of 16 (pairs_amd64.s).
//
//go:noescape
func packPairsAVX512(dst *uint32, lo, hi *float32, n int)

// packPairsAsm packs the longest prefix of dst that it can (a multiple of 16 words, with
// AVX-512) and returns its length.
func packPairsAsm(dst []uint32, lo, hi []float32) int {
	n := len(dst) &^ 15
	if !cpu.X86.HasAVX512F || n == 0 {
		return 0
	}
	var hp *float32
	if hi != nil {
		hp = &hi[0]
	}
	packPairsAVX512(&dst[0], &lo[0], hp, n)
	return n
}
