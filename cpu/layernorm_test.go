package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// layerNormRef is LayerNormChannels pixel by pixel, as the engine computed it before the row
// kernels: two passes over the channels, float64 sums, no fused multiply-adds.
func layerNormRef(out, in []float32, c, ldIn, ldOut, n int, gamma, beta []float32, eps float64) {
	for p := range n {
		var mu, v float64
		for ch := range c {
			mu += float64(in[ch*ldIn+p])
		}
		mu /= float64(c)
		for ch := range c {
			d := float64(in[ch*ldIn+p]) - mu
			v += float64(d * d)
		}
		inv := 1 / math.Sqrt(v/float64(c)+eps)
		for ch := range c {
			y := float64((float64(in[ch*ldIn+p]) - mu) * inv * float64(gamma[ch]))
			out[ch*ldOut+p] = float32(y + float64(beta[ch]))
		}
	}
}

// TestLayerNormChannels checks LayerNormChannels on each kernel set against layerNormRef bit
// for bit (the same float64 operations in the same order), for pixel counts around the
// vector width and the block, ViT's 768 channels and a few, with rows wider than n (nothing
// past them written).
func TestLayerNormChannels(t *testing.T) {
	forEachPath(t, hasEltAsm, hasEltAVX2, func(a, b bool) { hasEltAsm, hasEltAVX2 = a, b }, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range []struct{ c, n int }{{768, 197}, {3, 1}, {5, 7}, {4, 8}, {96, 300}, {7, 513}} {
			ld := s.n + 3
			in, gamma, beta := make([]float32, s.c*ld), make([]float32, s.c), make([]float32, s.c)
			for i := range in {
				in[i] = float32(rng.NormFloat64()*2 + 0.5)
			}
			for i := range gamma {
				gamma[i], beta[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			got, want := make([]float32, s.c*ld), make([]float32, s.c*ld)
			for i := range got {
				got[i], want[i] = 7, 7
			}
			LayerNormChannels(got, in, s.c, ld, ld, s.n, gamma, beta, 1e-6)
			layerNormRef(want, in, s.c, ld, ld, s.n, gamma, beta, 1e-6)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("c=%d n=%d: float %d = %v, want %v", s.c, s.n, i, got[i], want[i])
				}
			}
		}
	})
}
