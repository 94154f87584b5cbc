package cpu

import (
	"math"

	"landscape/cpu/gemm"
	"landscape/model"
)

// The layers of transformers, in the engine's channel-major batch layout (channel c of image b
// at c·ld + b·H·W): a token sequence [T, D] of an image is a slot [D, T, 1], so that features
// are channels and tokens pixels (model/onnx_attn.go).

// SoftmaxChannels writes, for each of the n pixel columns of the rows, the softmax over each
// of heads groups of c/heads consecutive channels: e^(x − max)/Σ e^(x − max), max over the
// group (numerically stable), the sum in float64.
func SoftmaxChannels(out, in []float32, c, heads, ldIn, ldOut, n int) {
	g := c / heads
	for h := range heads {
		for p := range n {
			m := float32(math.Inf(-1))
			for j := range g {
				m = max(m, in[(h*g+j)*ldIn+p])
			}
			var s float64
			for j := range g {
				e := math.Exp(float64(in[(h*g+j)*ldIn+p] - m))
				out[(h*g+j)*ldOut+p] = float32(e)
				s += e
			}
			inv := 1 / s
			for j := range g {
				o := &out[(h*g+j)*ldOut+p]
				*o = float32(float64(*o) * inv)
			}
		}
	}
}

// MatMulHeads computes an OpMatMul for images 0..nb-1: per image, head g and window, Out_g
// (N×M/windows) = op(B_g)·A_g with A_g the K×(M/windows) rows g·K… of a (pixels of image b
// from b·M, of its window from there), B_g the rows of b (N×K, or K×N read transposed when
// transA; hwB pixels per image, window after window) and one GEMM each.
func MatMulHeads(out, a, b []float32, heads, m, n, k int, transA bool, hwB, ldA, ldB, ldOut, nb, windows int) {
	rowsB := n
	if transA {
		rowsB = k
	}
	windows = model.WindowCount(windows)
	mw, bw := m/windows, hwB/windows
	for img := range nb {
		for g := range heads {
			for w := range windows {
				gemm.Sgemm(transA, false, n, mw, k, 1, b[g*rowsB*ldB+img*hwB+w*bw:], ldB, a[g*k*ldA+img*m+w*mw:], ldA,
					0, out[g*n*ldOut+img*m+w*mw:], ldOut)
			}
		}
	}
}

// forwardAttn computes the transformer layers other than MatMul: softmax, class tokens
// prepended (w the parameter's tokens, pixel-major [k, C]), token selection or any pixel
// permutation (Perm −1: a zero), and an OpArith by an operand of one value per element stored
// pixel-major (a position embedding), or read through Perm (element p·C + c is w[Perm[p·C + c]]).
func (e *Engine) forwardAttn(st *step, w, in, out []float32, ldIn, ldOut, nb int) {
	l := &st.l
	c := l.OutShape[0]
	switch l.Kind {
	case model.OpSoftmax:
		softmaxRows(out, in, c, l.Heads, ldIn, ldOut, nb*st.outHW) // float32, vectorised (softmax.go)
	case model.OpCatTokens:
		k := st.outHW - st.inHW
		for ch := range c {
			for img := range nb {
				o := out[ch*ldOut+img*st.outHW:]
				for p := range k {
					o[p] = w[p*c+ch]
				}
				copy(o[k:st.outHW], in[ch*ldIn+img*st.inHW:][:st.inHW])
			}
		}
	case model.OpPixels:
		for ch := range c {
			for img := range nb {
				o, x := out[ch*ldOut+img*st.outHW:], in[ch*ldIn+img*st.inHW:]
				for j, p := range l.Perm {
					if p < 0 {
						o[j] = 0 // zero padding
					} else {
						o[j] = x[p]
					}
				}
			}
		}
	case model.OpArith:
		hw := st.outHW
		for ch := range c {
			for img := range nb {
				o, x := out[ch*ldOut+img*hw:][:hw], in[ch*ldIn+img*hw:][:hw]
				for p := range hw {
					i := p*c + ch
					if l.Perm != nil {
						i = l.Perm[i] // a parameter gathered by a constant index (a relative position bias)
					}
					o[p] = arith1(x[p], l.Arith, w[i], l.Rev)
				}
			}
		}
	}
}

// arith1 is Arith for one value.
func arith1(x float32, op byte, v float32, rev bool) float32 {
	if rev {
		x, v = v, x
	}
	switch op {
	case '+':
		return x + v
	case '-':
		return x - v
	case '*':
		return x * v
	}
	return x / v
}

// matmul runs an OpMatMul step: In2's per-image pixels are N (TransA) or K.
func (e *Engine) matmul(st *step, in, out []float32, ldIn, ldOut, nb int) {
	l := &st.l
	m, n, k := model.MatMulDims(l.Heads, l.InShape, l.OutShape)
	hwB := k
	if l.TransA {
		hwB = n
	}
	hwB *= model.WindowCount(l.Windows)
	MatMulHeads(out, in, e.bufs[l.In2][e.guard:], l.Heads, m, n, k, l.TransA, hwB, ldIn, e.ld(hwB), ldOut, nb, l.Windows)
}
