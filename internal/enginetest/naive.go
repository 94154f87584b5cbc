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
			wt := get(op.Weight)
			for co := range os[0] {
				for y := range os[1] {
					for x := range os[2] {
						var s float64
						if op.Bias != "" {
							s = float64(get(op.Bias)[co])
						}
						for ci := range is[0] {
							for kh := range op.K {
								for kw := range op.K {
									iy, ix := y*op.Stride+kh-op.Pad, x*op.Stride+kw-op.Pad
									if iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2] {
										continue
									}
									s += float64(wt[((co*is[0]+ci)*op.K+kh)*op.K+kw]) * in[(ci*is[1]+iy)*is[2]+ix]
								}
							}
						}
						out[(co*os[1]+y)*os[2]+x] = s
					}
				}
			}
		case model.OpBatchNorm:
			g, b := get(op.Prefix+".weight"), get(op.Prefix+".bias")
			mu, v := get(op.Prefix+".running_mean"), get(op.Prefix+".running_var")
			per := is[1] * is[2]
			for i := range out {
				c := i / per
				out[i] = (in[i]-float64(mu[c]))/math.Sqrt(float64(v[c])+model.BNEps)*float64(g[c]) + float64(b[c])
			}
		case model.OpReLU:
			for i, v := range in {
				out[i] = v
				if v < 0 {
					out[i] = 0
				}
			}
		case model.OpAdd:
			for i := range out {
				out[i] = in[i] + slots[op.In2][i]
			}
		case model.OpMaxPool:
			for c := range os[0] {
				for y := range os[1] {
					for x := range os[2] {
						m := math.Inf(-1)
						for i := y * op.K; i < y*op.K+op.K && i < is[1]; i++ {
							for j := x * op.K; j < x*op.K+op.K && j < is[2]; j++ {
								m = math.Max(m, in[(c*is[1]+i)*is[2]+j])
							}
						}
						out[(c*os[1]+y)*os[2]+x] = m
					}
				}
			}
		case model.OpGlobalAvgPool:
			per := is[1] * is[2]
			for c := range os[0] {
				for i := range per {
					out[c] += in[c*per+i] / float64(per)
				}
			}
		case model.OpLinear:
			wt, b := get(op.Weight), get(op.Bias)
			for j := range out {
				s := float64(b[j])
				for i, v := range in {
					s += float64(wt[j*len(in)+i]) * v
				}
				out[j] = s
			}
		}
		slots[op.Out] = out
	}
	return slots[n.Output]
}

// CrossEntropy is −log softmax(z)[label] in float64, and whether the first arg-max is the label.
func CrossEntropy(z []float64, label int32) (float64, bool) {
	m, best := z[0], 0
	for i, v := range z {
		if v > m {
			m, best = v, i
		}
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return math.Log(s) + m - z[label], best == int(label)
}
