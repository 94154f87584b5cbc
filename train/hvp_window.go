package train

import "landscape/model"

// Windowed layers of imported graphs for HVP, by direct loops on [C][B][H·W] activations:
// convolutions with any window (rectangular, strided, dilated, asymmetric padding), groups
// (depthwise) or an [in, out] 1×1 weight (an ONNX MatMul per pixel), max and average pools
// over a model.Window, and linear layers with an [in, out] weight. All are linear in the
// activation (and, for convolutions, bilinear in weight and activation), so their R-forward
// and R-backward are the same kernels on tangents: Ry = W∗Rx + V∗x + V_b and
// Rg_x = Wᵀ∗Rg_y + Vᵀ∗g_y, R{g_W} = Rg_y ⊗ x + g_y ⊗ Rx.

// gconv is the geometry of a general convolution over B images.
type gconv struct {
	Cin, H, W, Cout, OH, OW, B int
	win                        model.Window
	groups                     int
	transW                     bool // weight [Cin, Cout] (1×1, one group)
}

func newGConv(n *model.Net, op model.Op, B int) gconv {
	i, o := n.Slots[op.In], n.Slots[op.Out]
	return gconv{Cin: i[0], H: i[1], W: i[2], Cout: o[0], OH: o[1], OW: o[2], B: B, win: op.Window(),
		groups: max(op.Groups, 1), transW: op.TransW}
}

// each calls f(co, ci, wi) for every weight: output channel co, input channel ci (absolute),
// weight index wi, and the kernel offsets kh, kw.
func (g gconv) each(f func(co, ci, wi, kh, kw int)) {
	cg, og := g.Cin/g.groups, g.Cout/g.groups
	for co := range g.Cout {
		for c := range cg {
			for kh := range g.win.KH {
				for kw := range g.win.KW {
					wi := ((co*cg+c)*g.win.KH+kh)*g.win.KW + kw
					if g.transW {
						wi = c*g.Cout + co
					}
					f(co, co/og*cg+c, wi, kh, kw)
				}
			}
		}
	}
}

// taps calls f(o, i) for every output pixel o and input pixel i that kernel offset (kh, kw)
// connects, within one plane.
func (g gconv) taps(kh, kw int, f func(o, i int)) {
	w := g.win
	for oy := range g.OH {
		iy := oy*w.SH - w.PadT + kh*w.DH
		if iy < 0 || iy >= g.H {
			continue
		}
		for ox := range g.OW {
			ix := ox*w.SW - w.PadL + kw*w.DW
			if ix >= 0 && ix < g.W {
				f(oy*g.OW+ox, iy*g.W+ix)
			}
		}
	}
}

// convGraphForward accumulates out += wt ∗ in + bias (bias may be nil).
func convGraphForward[T Float](g gconv, out, in, wt, bias []T) {
	P, OP := g.H*g.W, g.OH*g.OW
	if bias != nil {
		for co := range g.Cout {
			for i := range out[co*g.B*OP:][:g.B*OP] {
				out[co*g.B*OP+i] += bias[co]
			}
		}
	}
	g.each(func(co, ci, wi, kh, kw int) {
		w := wt[wi]
		for n := range g.B {
			o, x := out[(co*g.B+n)*OP:][:OP], in[(ci*g.B+n)*P:][:P]
			g.taps(kh, kw, func(oi, ii int) { o[oi] += w * x[ii] })
		}
	})
}

// convGraphBackward accumulates dW += dOut ⊗ in (sums in float64), db += Σ dOut and
// dIn += wtᵀ ∗ dOut; db, dIn may be nil.
func convGraphBackward[T Float](g gconv, dW, db, dIn, dOut, in, wt []T) {
	P, OP := g.H*g.W, g.OH*g.OW
	if db != nil {
		for co := range g.Cout {
			var s float64
			for _, v := range dOut[co*g.B*OP:][:g.B*OP] {
				s += float64(v)
			}
			db[co] += T(s)
		}
	}
	g.each(func(co, ci, wi, kh, kw int) {
		var s float64
		w := wt[wi]
		for n := range g.B {
			d, x := dOut[(co*g.B+n)*OP:][:OP], in[(ci*g.B+n)*P:][:P]
			var dx []T
			if dIn != nil {
				dx = dIn[(ci*g.B+n)*P:][:P]
			}
			g.taps(kh, kw, func(oi, ii int) {
				s += float64(d[oi]) * float64(x[ii])
				if dx != nil {
					dx[ii] += w * d[oi]
				}
			})
		}
		if dW != nil {
			dW[wi] += T(s)
		}
	})
}

// poolWindow calls f(o, i) for every output pixel o of one plane and every input pixel i of
// its window (clipped to the input), and then done(o, count) with the divisor of an average:
// the window clipped to the padded input when CountPad, else the pixels it covers.
func poolWindow(w model.Window, H, W, OH, OW int, f func(o, i int), done func(o, count int)) {
	for oy := range OH {
		for ox := range OW {
			o, cnt := oy*OW+ox, 0
			y0, x0 := oy*w.SH-w.PadT, ox*w.SW-w.PadL
			for kh := range w.KH {
				for kw := range w.KW {
					iy, ix := y0+kh*w.DH, x0+kw*w.DW
					if iy >= 0 && iy < H && ix >= 0 && ix < W {
						f(o, iy*W+ix)
						cnt++
					}
				}
			}
			if w.CountPad {
				cnt = (min(y0+w.KH, H+w.PadB) - y0) * (min(x0+w.KW, W+w.PadR) - x0)
			}
			done(o, cnt)
		}
	}
}

// avgPoolWindow sets out to the window averages of in, planes of H×W to OH×OW.
func avgPoolWindow[T Float](w model.Window, out, in []T, H, W, OH, OW, planes int) {
	for pl := range planes {
		x, y := in[pl*H*W:][:H*W], out[pl*OH*OW:][:OH*OW]
		var s float64
		poolWindow(w, H, W, OH, OW, func(_, i int) { s += float64(x[i]) }, func(o, cnt int) { y[o], s = T(s/float64(cnt)), 0 })
	}
}

// avgPoolWindowBackward accumulates dIn += each output gradient over its count, in its window.
func avgPoolWindowBackward[T Float](w model.Window, dIn, dOut []T, H, W, OH, OW, planes int) {
	for pl := range planes {
		dx, dy := dIn[pl*H*W:][:H*W], dOut[pl*OH*OW:][:OH*OW]
		var idx []int
		poolWindow(w, H, W, OH, OW, func(_, i int) { idx = append(idx, i) }, func(o, cnt int) {
			for _, i := range idx {
				dx[i] += dy[o] / T(cnt)
			}
			idx = idx[:0]
		})
	}
}

// maxPoolWindow sets out to the window maxima of in and arg to their indices in the plane (the
// first maximum in window order, or the first NaN, as PyTorch picks).
func maxPoolWindow[T Float](w model.Window, out, in []T, arg []int32, H, W, OH, OW, planes int) {
	for pl := range planes {
		x, y, a := in[pl*H*W:][:H*W], out[pl*OH*OW:][:OH*OW], arg[pl*OH*OW:][:OH*OW]
		best := -1
		poolWindow(w, H, W, OH, OW, func(_, i int) {
			if best < 0 || ((x[i] > x[best] || x[i] != x[i]) && x[best] == x[best]) {
				best = i
			}
		}, func(o, _ int) { y[o], a[o], best = x[best], int32(best), -1 })
	}
}

// scatterPool is max pooling's backward: dIn[arg] += dOut, planes of hw inputs and op outputs.
func scatterPool[T Float](dIn, dOut []T, arg []int32, hw, op, planes int) {
	for pl := range planes {
		d, g, a := dIn[pl*hw:][:hw], dOut[pl*op:][:op], arg[pl*op:][:op]
		for o, i := range a {
			d[i] += g[o]
		}
	}
}

// linearTForward accumulates out[o][n] += b[o] + Σ_f w[f][o]·x_n[f] for a weight stored
// [in, out] (x_n[c·P+p] = in[c][n][p]); b may be nil.
func linearTForward[T Float](out, in, w, b []T, C, P, O, B int) {
	for o := range O {
		for n := range B {
			var s float64
			if b != nil {
				s = float64(b[o])
			}
			for c := range C {
				for p := range P {
					s += float64(w[(c*P+p)*O+o]) * float64(in[(c*B+n)*P+p])
				}
			}
			out[o*B+n] += T(s)
		}
	}
}

// linearTBackward accumulates dW[f][o] += Σ_n dy[o][n]·x_n[f], db[o] += Σ_n dy[o][n] and
// dIn[c][n][p] += Σ_o w[f][o]·dy[o][n]; db, dIn may be nil.
func linearTBackward[T Float](dW, db, dIn, dy, in, w []T, C, P, O, B int) {
	for c := range C {
		for p := range P {
			f := c*P + p
			for o := range O {
				var s float64
				for n := range B {
					s += float64(dy[o*B+n]) * float64(in[(c*B+n)*P+p])
					if dIn != nil {
						dIn[(c*B+n)*P+p] += w[f*O+o] * dy[o*B+n]
					}
				}
				if dW != nil {
					dW[f*O+o] += T(s)
				}
			}
		}
	}
	if db != nil {
		for o := range O {
			var s float64
			for n := range B {
				s += float64(dy[o*B+n])
			}
			db[o] += T(s)
		}
	}
}
