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

// MatMulHeads computes an OpMatMul for images 0..nb-1: per image and head g, Out_g (N×M) =
// op(B_g)·A_g with A_g the K×M rows g·K… of a (pixels of image b from b·M), B_g the rows of b
// (N×K, or K×N read transposed when transA; hwB pixels per image) and one GEMM each.
func MatMulHeads(out, a, b []float32, heads, m, n, k int, transA bool, hwB, ldA, ldB, ldOut, nb int) {
	rowsB := n
	if transA {
		rowsB = k
	}
	for img := range nb {
		for g := range heads {
			gemm.Sgemm(transA, false, n, m, k, 1, b[g*rowsB*ldB+img*hwB:], ldB, a[g*k*ldA+img*m:], ldA,
				0, out[g*n*ldOut+img*m:], ldOut)
		}
	}
}

// forwardAttn computes the transformer layers other than MatMul: softmax, class tokens
// prepended (w the parameter's tokens, pixel-major [k, C]), token selection, and an OpArith by
// a parameter of one value per element stored pixel-major (a position embedding).
func (e *Engine) forwardAttn(st *step, w, in, out []float32, ldIn, ldOut, nb int) {
	l := &st.l
	c := l.OutShape[0]
	switch l.Kind {
	case model.OpSoftmax:
		SoftmaxChannels(out, in, c, l.Heads, ldIn, ldOut, nb*st.outHW)
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
					o[j] = x[p]
				}
			}
		}
	case model.OpArith:
		hw := st.outHW
		for ch := range c {
			for img := range nb {
				o, x := out[ch*ldOut+img*hw:][:hw], in[ch*ldIn+img*hw:][:hw]
				for p := range hw {
					v := w[p*c+ch]
					o[p] = arith1(x[p], l.Arith, v, l.Rev)
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
	MatMulHeads(out, in, e.bufs[l.In2][e.guard:], l.Heads, m, n, k, l.TransA, hwB, ldIn, e.ld(hwB), ldOut, nb)
}
