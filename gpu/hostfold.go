package gpu

import (
	"math"

	"landscape/kernels"
	"landscape/model"
)

// FoldOnHost computes weight set (a, b)'s folded vector from the raw vectors exactly as
// kernels/weights.cu's fold_weights does, table row by table row. It exists to test the layout
// (and the kernel's arithmetic) against the CPU engine without a GPU.
func (l *Layout) FoldOnHost(theta, dx, dy []float32, a, b float32) []float32 {
	out := make([]float32, l.Folded)
	at := func(i int32) float32 { return theta[i] + (float32(a*dx[i]) + float32(b*dy[i])) }
	for r := 0; r < len(l.Table); r += kernels.FoldFields {
		t := l.Table[r : r+kernels.FoldFields]
		per, cout := int(t[6]), int(t[7])
		for c := range cout {
			scale, shift := 1.0, 0.0
			if t[1] >= 0 {
				shift = float64(at(t[1] + int32(c)))
			}
			if t[2] >= 0 {
				g, beta := float64(at(t[2]+int32(c))), float64(at(t[3]+int32(c)))
				mu, v := float64(at(t[4]+int32(c))), float64(at(t[5]+int32(c)))
				scale = g / math.Sqrt(v+model.BNEps)
				shift = (shift-mu)*scale + beta
			}
			for i := range per {
				o := i // F_TAPS = t[11] > 0: tap-major, i = ci·taps + tap goes to tap·Cin + ci
				if taps := int(t[11]); taps > 0 {
					o = i%taps*(per/taps) + i/taps
				}
				out[int(t[8])+c*per+o] = float32(float64(at(t[0]+int32(c*per+i))) * scale)
			}
			out[int(t[9])+c] = float32(shift)
		}
	}
	return out
}
