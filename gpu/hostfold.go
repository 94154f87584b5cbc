package gpu

import (
	"math"

	"landscape/kernels"
)

// FoldOnHost computes weight set (a, b)'s folded vector from the raw vectors exactly as
// kernels/weights.cu's fold_weights does, table row by table row. It exists to test the layout
// (and the kernel's arithmetic) against the CPU engine without a GPU.
func (l *Layout) FoldOnHost(theta, dx, dy []float32, a, b float32) []float32 {
	out := make([]float32, l.Folded)
	at := func(i int32) float32 { return theta[i] + (float32(a*dx[i]) + float32(b*dy[i])) }
	for r := 0; r < len(l.Table); r += kernels.FoldFields {
		t := kernels.FoldRow(l.Table[r : r+kernels.FoldFields])
		per, cout, taps := int(t.Per()), int(t.Cout()), int(t.Taps())
		for c := range cout {
			scale, shift := 1.0, 0.0
			if t.Bias() >= 0 {
				shift = float64(at(t.Bias() + int32(c)))
			}
			if t.Gamma() >= 0 {
				g, beta := float64(at(t.Gamma()+int32(c))), float64(at(t.Beta()+int32(c)))
				mu, v := float64(at(t.Mean()+int32(c))), float64(at(t.Var()+int32(c)))
				scale = g / math.Sqrt(v+t.Eps())
				shift = (shift-mu)*scale + beta
			}
			for i := range per {
				o := i // taps > 0: tap-major, i = ci·taps + tap goes to tap·Cin + ci
				if taps > 0 {
					o = i%taps*(per/taps) + i/taps
				}
				out[int(t.Wout())+c*per+o] = float32(float64(at(t.W()+int32(c*per+i))) * scale)
			}
			out[int(t.Bout())+c] = float32(shift)
		}
	}
	return out
}
