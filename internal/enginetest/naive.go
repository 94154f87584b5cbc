// Package enginetest holds the conformance suite every engine must pass, and the naive float64
// interpreter of a network's unfused layer graph that the suite compares against.
package enginetest

import (
	"math"

	"landscape/model"
)

// Naive runs network n with weights w on one image in float64, layer by layer as PyTorch
// defines them (batch norm unfused, in evaluation mode), and returns the logits.
func Naive(n *model.Net, w *model.Weights, img []float32) []float64 {
	get := func(name string) []float32 { return w.Tensors[name].Data }
	slots := make([][]float64, len(n.Slots))
	slots[0] = make([]float64, len(img))
	for i, v := range img {
		slots[0][i] = float64(v)
	}
	for _, op := range n.Ops {
		in, is, os := slots[op.In], n.Slots[op.In], n.Slots[op.Out]
		out := make([]float64, os[0]*os[1]*os[2])
		switch op.Kind {
		case model.OpConv:
			conv(out, in, is, os, &op, get)
		case model.OpBatchNorm:
			batchNorm(out, in, is, &op, get)
		case model.OpReLU, model.OpClip, model.OpLeakyReLU, model.OpSigmoid:
			for i, v := range in {
				out[i] = clampActivation(&op, v)
			}
		case model.OpHardSigmoid, model.OpHardSwish, model.OpSiLU, model.OpGELU, model.OpGELUTanh, model.OpTanh:
			for i, v := range in {
				out[i] = activation(&op, v)
			}
		case model.OpArith:
			arith(out, in, is, &op, get)
		case model.OpLayerNorm:
			layerNorm(out, in, is, &op, get)
		case model.OpChannels:
			per := is[1] * is[2]
			for c, src := range op.Perm {
				copy(out[c*per:(c+1)*per], in[src*per:(src+1)*per])
			}
		case model.OpAdd:
			for i := range out {
				out[i] = in[i] + slots[op.In2][i]
			}
		case model.OpMul:
			mul(out, in, slots[op.In2], os)
		case model.OpConcat:
			out = out[:0]
			for _, s := range op.Ins {
				out = append(out, slots[s]...)
			}
		case model.OpMaxPool, model.OpAvgPool:
			pool(out, in, is, os, op.Window(), op.Kind == model.OpAvgPool)
		case model.OpGlobalAvgPool:
			per := is[1] * is[2]
			for c := range os[0] {
				for i := range per {
					out[c] += in[c*per+i] / float64(per)
				}
			}
		case model.OpLinear:
			linear(out, in, &op, get)
		}
		slots[op.Out] = out
	}
	return slots[n.Output]
}

// conv is a grouped convolution over op's window (a MatMul's [in, out] weight, op.TransW, as
// a 1×1 convolution): out[co][y][x] = b[co] + Σ_{ci,kh,kw} w[co][ci][kh][kw]·in[g·cg+ci][iy][ix]
// over the taps inside the image, g = co's group, cg the input channels per group.
func conv(out, in []float64, is, os [3]int, op *model.Op, get func(string) []float32) {
	wt := get(op.Weight)
	win := op.Window()
	g := max(op.Groups, 1)
	cg, og := is[0]/g, os[0]/g
	for co := range os[0] {
		for y := range os[1] {
			for x := range os[2] {
				var s float64
				if op.Bias != "" {
					s = float64(get(op.Bias)[co])
				}
				for ci := range cg {
					for kh := range win.KH {
						for kw := range win.KW {
							iy, ix := y*win.SH+kh*win.DH-win.PadT, x*win.SW+kw*win.DW-win.PadL
							if iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2] {
								continue
							}
							wi := ((co*cg+ci)*win.KH+kh)*win.KW + kw
							if op.TransW { // a MatMul's [in, out] weight as a 1×1 convolution
								wi = ci*os[0] + co
							}
							s += float64(wt[wi]) * in[((co/og*cg+ci)*is[1]+iy)*is[2]+ix]
						}
					}
				}
				out[(co*os[1]+y)*os[2]+x] = s
			}
		}
	}
}

// batchNorm is evaluation-mode batch norm: (x − μ_c)/√(σ²_c + ε)·γ_c + β_c.
func batchNorm(out, in []float64, is [3]int, op *model.Op, get func(string) []float32) {
	bn := op.BNEntries()
	g, b := get(bn[0]), get(bn[1])
	mu, v := get(bn[2]), get(bn[3])
	per := is[1] * is[2]
	for i := range out {
		c := i / per
		out[i] = (in[i]-float64(mu[c]))/math.Sqrt(float64(v[c])+op.BNEpsilon())*float64(g[c]) + float64(b[c])
	}
}

// clampActivation is ReLU, Clip(Lo, Hi), LeakyReLU(Alpha) or Sigmoid of v.
func clampActivation(op *model.Op, v float64) float64 {
	switch op.Kind {
	case model.OpReLU:
		v = math.Max(v, 0)
	case model.OpClip:
		v = math.Min(math.Max(v, float64(op.Lo)), float64(op.Hi))
	case model.OpLeakyReLU:
		if v < 0 {
			v *= float64(op.Alpha)
		}
	case model.OpSigmoid:
		v = 1 / (1 + math.Exp(-v))
	}
	return v
}

// mul is the elementwise product of in and in2, where in2 is either of the output's shape or
// [C,1,1] (one factor per channel).
func mul(out, in, in2 []float64, os [3]int) {
	per := os[1] * os[2]
	for i := range out {
		if len(in2) == os[0] { // [C,1,1]: one factor per channel
			out[i] = in[i] * in2[i/per]
		} else {
			out[i] = in[i] * in2[i]
		}
	}
}

// linear is out[j] = b[j] + Σ_i w[j][i]·in[i] (w stored [out, in], or [in, out] when op.TransW).
func linear(out, in []float64, op *model.Op, get func(string) []float32) {
	wt := get(op.Weight)
	for j := range out {
		var s float64
		if op.Bias != "" {
			s = float64(get(op.Bias)[j])
		}
		for i, v := range in {
			if op.TransW { // [in, out]
				s += float64(wt[i*len(out)+j]) * v
			} else {
				s += float64(wt[j*len(in)+i]) * v
			}
		}
		out[j] = s
	}
}

// pool is a max or average pool over window w as PyTorch defines it (model.Window): windows
// clipped to the input; an average divides by the window clipped to the padded input when
// w.CountPad, else by the input pixels it covers.
func pool(out, in []float64, is, os [3]int, w model.Window, avg bool) {
	for c := range os[0] {
		for y := range os[1] {
			for x := range os[2] {
				m, s, cnt := math.Inf(-1), 0.0, 0
				y0, x0 := y*w.SH-w.PadT, x*w.SW-w.PadL
				for kh := range w.KH {
					for kw := range w.KW {
						iy, ix := y0+kh*w.DH, x0+kw*w.DW
						if iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2] {
							continue
						}
						v := in[(c*is[1]+iy)*is[2]+ix]
						m, s, cnt = math.Max(m, v), s+v, cnt+1
					}
				}
				r := m
				if avg {
					if w.CountPad {
						cnt = (min(y0+w.KH, is[1]+w.PadB) - y0) * (min(x0+w.KW, is[2]+w.PadR) - x0)
					}
					r = s / float64(cnt)
				}
				out[(c*os[1]+y)*os[2]+x] = r
			}
		}
	}
}
