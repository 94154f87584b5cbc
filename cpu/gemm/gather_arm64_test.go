//go:build !noasm

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGatherNEON compares the NEON packers with gatherGo for every width and
// every start column j0 (a multiple of 4: mask bits at shift 0 or 4, in one
// byte or two), also those Fused's panel choice does not reach today, with
// NaN in the data so that a masked lane that leaked would show.
func TestGatherNEON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, k = 64, 37
	g := randomGathered(rng, n, k)
	for i := range g.Data {
		if rng.IntN(5) == 0 {
			g.Data[i] = float32(math.NaN())
		}
	}
	for _, nr := range []int{4, 8, 12} {
		for j0 := 0; j0+nr <= n; j0 += 4 {
			for _, p0 := range []int{0, 5} {
				kc := k - p0
				got, want := make([]float32, kc*nr), make([]float32, kc*nr)
				gatherNEON(nr, kc, got, g, p0, j0)
				gatherGo(nr, kc, want, g, p0, j0)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("nr=%d j0=%d p0=%d: dst[%d] = %v, want %v", nr, j0, p0, i, got[i], want[i])
					}
				}
			}
		}
	}
}
