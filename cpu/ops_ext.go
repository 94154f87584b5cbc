package cpu

import (
	"math"

	"landscape/model"
)

// The element-wise, per-channel and channel-moving layers of imported graphs beyond the
// convolutional classics (torchvision's MobileNetV3, ShuffleNetV2, ConvNeXt, …), row by row of
// the engine's channel-major batch layout: channel c of image b at c·ld + b·H·W.

// ActivateLayer applies activation kind (model.OpKind.IsActivation, or OpReLU) with l's
// parameters (Lo, Hi, Alpha, Beta) to src into dst (which may be src), in float64 rounded to
// float32 for the transcendental ones:
//
//	HardSigmoid  max(0, min(1, α·x + β))
//	HardSwish    x·max(0, min(1, x/6 + 1/2))
//	SiLU         x·σ(x) = x/(1 + e^(−x))
//	GELU         x/2·(1 + erf(x/√2))
//	GELUTanh     x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
//	Tanh         tanh(x)
func ActivateLayer(kind model.OpKind, l *model.Layer, dst, src []float32) {
	switch kind {
	case model.OpHardSigmoid:
		a, b := float64(l.Alpha), float64(l.Beta)
		for i, v := range src {
			dst[i] = float32(math.Max(0, math.Min(1, a*float64(v)+b)))
		}
	case model.OpHardSwish:
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x * math.Max(0, math.Min(1, x/6+0.5)))
		}
	case model.OpSiLU:
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x / (1 + math.Exp(-x)))
		}
	case model.OpGELU:
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x / 2 * (1 + math.Erf(x/math.Sqrt2)))
		}
	case model.OpGELUTanh:
		k := math.Sqrt(2 / math.Pi)
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x / 2 * (1 + math.Tanh(k*(x+0.044715*x*x*x))))
		}
	case model.OpTanh:
		for i, v := range src {
			dst[i] = float32(math.Tanh(float64(v)))
		}
	default:
		Activate(kind, l.Lo, l.Hi, l.Alpha, dst, src)
	}
}

// Arith writes dst = src ∘ v (v ∘ src with rev) for op '+', '-', '*' or '/', in float32 as
// PyTorch computes it.
func Arith(dst, src []float32, op byte, v float32, rev bool) {
	switch {
	case op == '+':
		for i, x := range src {
			dst[i] = x + v
		}
	case op == '*':
		for i, x := range src {
			dst[i] = x * v
		}
	case op == '-' && !rev:
		for i, x := range src {
			dst[i] = x - v
		}
	case op == '-':
		for i, x := range src {
			dst[i] = v - x
		}
	case op == '/' && !rev:
		for i, x := range src {
			dst[i] = x / v
		}
	case op == '/':
		for i, x := range src {
			dst[i] = v / x
		}
	}
}

// lnBlock is the number of pixels LayerNormChannels normalises at once (its float64 sums live
// on the stack).
const lnBlock = 256

// LayerNormChannels normalises each of the n pixels of c channel rows (channel ch of in at
// in[ch·ldIn:], of out at out[ch·ldOut:]) over its channels:
//
//	μ = mean_ch x,  σ² = mean_ch (x − μ)²,  y = (x − μ)/√(σ² + ε)·γ_ch + β_ch
//
// (two passes, sums in float64), as torch.nn.LayerNorm over the channel axis. The passes run
// along the rows, vectorised where the CPU allows (addF64Row, sqDevRow, lnOutRow: the same
// float64 operations as their Go loops, so the same floats).
func LayerNormChannels(out, in []float32, c, ldIn, ldOut, n int, gamma, beta []float32, eps float64) {
	var mu, inv [lnBlock]float64
	for p0 := 0; p0 < n; p0 += lnBlock {
		m := min(lnBlock, n-p0)
		clear(mu[:m])
		clear(inv[:m])
		for ch := range c {
			addF64Row(mu[:m], in[ch*ldIn+p0:][:m])
		}
		for i := range m {
			mu[i] /= float64(c)
		}
		for ch := range c {
			sqDevRow(inv[:m], in[ch*ldIn+p0:][:m], mu[:m])
		}
		for i := range m {
			inv[i] = 1 / math.Sqrt(inv[i]/float64(c)+eps)
		}
		for ch := range c {
			lnOutRow(out[ch*ldOut+p0:][:m], in[ch*ldIn+p0:][:m], mu[:m], inv[:m], float64(gamma[ch]), float64(beta[ch]))
		}
	}
}

// sqDevRowGo sets acc[i] += (float64(x[i]) − mu[i])² for i < len(acc).
func sqDevRowGo(acc []float64, x []float32, mu []float64) {
	x, mu = x[:len(acc)], mu[:len(acc)]
	for i, v := range x {
		d := float64(v) - mu[i]
		acc[i] += float64(d * d)
	}
}

// lnOutRowGo sets out[i] = float32((float64(x[i]) − mu[i])·inv[i]·g + b) for i < len(out).
func lnOutRowGo(out, x []float32, mu, inv []float64, g, b float64) {
	x, mu, inv = x[:len(out)], mu[:len(out)], inv[:len(out)]
	for i, v := range x {
		out[i] = float32(float64((float64(v)-mu[i])*inv[i]*g) + b)
	}
}

// forwardExt computes a step of kind extOp: OpArith (w: its operand, one value or one per
// channel), OpLayerNorm (w γ, b β) or OpChannels, with the layer's fused activation.
func (e *Engine) forwardExt(st *step, w, b, in, out []float32, ldIn, ldOut, nb int) {
	l := &st.l
	n := nb * st.outHW
	for c := range l.OutShape[0] {
		switch l.Kind {
		case model.OpArith:
			v := w[0]
			if st.m > 1 {
				v = w[c]
			}
			Arith(out[c*ldOut:][:n], in[c*ldIn:][:n], l.Arith, v, l.Rev)
		case model.OpChannels:
			copy(out[c*ldOut:][:n], in[l.Perm[c]*ldIn:][:n])
		}
	}
	if l.Kind == model.OpLayerNorm {
		LayerNormChannels(out, in, l.InShape[0], ldIn, ldOut, n, w, b, l.BNEpsilon())
	}
	activateRows(l, out, ldOut, n)
}
