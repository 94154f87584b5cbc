package enginetest

import (
	"math"

	"landscape/model"
)

// attention computes the transformer ops in float64 by their definitions (model.OpKind), one
// image, slots channel-major [C, H·W]: a token sequence [T, D] is a slot [D, T, 1].
func attention(out []float64, slots [][]float64, n *model.Net, op *model.Op, get func(string) []float32) {
	in, is, os := slots[op.In], n.Slots[op.In], n.Slots[op.Out]
	per, oper := is[1]*is[2], os[1]*os[2]
	switch op.Kind {
	case model.OpSoftmax:
		g := is[0] / op.Heads
		for h := range op.Heads {
			for p := range per {
				m := math.Inf(-1)
				for j := range g {
					m = math.Max(m, in[(h*g+j)*per+p])
				}
				var s float64
				for j := range g {
					s += math.Exp(in[(h*g+j)*per+p] - m)
				}
				for j := range g {
					out[(h*g+j)*per+p] = math.Exp(in[(h*g+j)*per+p]-m) / s
				}
			}
		}
	case model.OpMatMul:
		m, nn, k := model.MatMulDims(op.Heads, is, os)
		b := slots[op.In2]
		wn := model.WindowCount(op.Windows)
		mw := m / wn
		for h := range op.Heads {
			for i := range nn {
				for j := range m {
					w, jw := j/mw, j%mw // the window of output pixel j, and j within it
					var s float64
					for q := range k {
						bv := b[(h*nn+i)*k*wn+w*k+q] // B_g is N×K per window
						if op.TransA {
							bv = b[(h*k+q)*nn*wn+w*nn+i] // stored K×N
						}
						s += bv * in[(h*k+q)*m+w*mw+jw]
					}
					out[(h*nn+i)*m+j] = s
				}
			}
		}
	case model.OpCatTokens:
		w := get(op.Weight)
		c, k := os[0], oper-per
		for ch := range c {
			for p := range k {
				out[ch*oper+p] = float64(w[p*c+ch])
			}
			copy(out[ch*oper+k:(ch+1)*oper], in[ch*per:(ch+1)*per])
		}
	case model.OpPixels:
		for ch := range os[0] {
			for j, p := range op.Perm {
				if p >= 0 {
					out[ch*oper+j] = in[ch*per+p]
				}
			}
		}
	}
}
