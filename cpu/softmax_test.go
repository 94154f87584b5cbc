package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxRows checks the engine's float32 softmax against SoftmaxChannels (float64
// exponentials and sum) on each element-wise kernel set: within 4 ulp (3 measured: Cephes'
// float32 expf, the reciprocal and the product rounded to float32), with a −Inf logit (a weight of 0), for group sizes of
// attention (197 keys) and small ones, pixel counts around the vector width and the block,
// and in place.
func TestSoftmaxRows(t *testing.T) {
	forEachPath(t, hasEltAsm, hasEltAVX2, func(a, b bool) { hasEltAsm, hasEltAVX2 = a, b }, testSoftmaxRows)
}

func testSoftmaxRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	var worst float64
	defer func() { t.Logf("max %v ulp", worst) }()
	for _, s := range []struct{ g, heads, n int }{{197, 12, 197}, {197, 2, 17}, {5, 3, 300}, {49, 1, 1}, {3, 4, 520}} {
		c, ld := s.g*s.heads, s.n+5
		in := make([]float32, c*ld)
		for i := range in {
			in[i] = float32(rng.NormFloat64() * 4)
		}
		in[ld+3] = float32(math.Inf(-1))
		want := make([]float32, c*ld)
		SoftmaxChannels(want, in, c, s.heads, ld, ld, s.n)
		for _, inPlace := range []bool{false, true} {
			got := make([]float32, c*ld)
			src := in
			if inPlace {
				copy(got, in)
				src = got
			}
			softmaxRows(got, src, c, s.heads, ld, ld, s.n)
			for ch := range c {
				for p := range s.n {
					i := ch*ld + p
					worst = max(worst, ulpDiff(got[i], want[i]))
					if d := ulpDiff(got[i], want[i]); d > 4 {
						t.Fatalf("g=%d heads=%d n=%d in place %v: channel %d pixel %d = %v, want %v (%v ulp)",
							s.g, s.heads, s.n, inPlace, ch, p, got[i], want[i], d)
					}
				}
			}
		}
	}
}
