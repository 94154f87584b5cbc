//go:build !noasm

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDWKernelAVX2MatchesAVX512 checks that dwConvAVX2 gives dwConvAVX512's floats bit for
// bit (the same fused multiply-adds in the same order, the same clamp, NaN kept) for 3×3 and
// 5×5 tap sets and lengths that exercise both kernels' blocks, writing nothing past n.
func TestDWKernelAVX2MatchesAVX512(t *testing.T) {
	if !hasDWAsm || !hasDWAVX2 {
		t.Skip("the CPU lacks AVX-512 or AVX2")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, taps := range []int{9, 25} {
		for _, n := range []int{16, 48, 64, 80, 128, 144, 208, 784} {
			off := make([]int32, taps)
			w := make([]float32, taps)
			for i := range off {
				off[i], w[i] = int32(rng.IntN(40)), float32(rng.NormFloat64())
			}
			pad := make([]float32, n+40)
			for i := range pad {
				pad[i] = float32(rng.NormFloat64() * 3)
			}
			pad[rng.IntN(len(pad))] = float32(math.NaN())
			a, b := make([]float32, n+1), make([]float32, n+1)
			a[n], b[n] = 7, 7
			dwConvAVX512(&a[0], &pad[0], n, &off[0], &w[0], taps, 0.25, 0, 6)
			dwConvAVX2(&b[0], &pad[0], n, &off[0], &w[0], taps, 0.25, 0, 6)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
					t.Fatalf("taps=%d n=%d: output %d: AVX2 %v, AVX-512 %v", taps, n, i, b[i], a[i])
				}
			}
		}
	}
}
