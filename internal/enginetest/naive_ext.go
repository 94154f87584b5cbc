package enginetest

import (
	"math"

	"landscape/model"
)

// activation is one of the activations beyond ReLU, Clip, LeakyReLU and Sigmoid, in float64,
// as PyTorch defines it.
func activation(op *model.Op, x float64) float64 {
	switch op.Kind {
	case model.OpHardSigmoid:
		return math.Max(0, math.Min(1, float64(op.Alpha)*x+float64(op.Beta)))
	case model.OpHardSwish:
		return x * math.Max(0, math.Min(1, (x+3)/6))
	case model.OpSiLU:
		return x / (1 + math.Exp(-x))
	case model.OpGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case model.OpGELUTanh:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case model.OpTanh:
		return math.Tanh(x)
	}
	panic("enginetest: not an activation: " + op.Kind.String())
}

// arith is x ∘ v (v ∘ x with Rev) with v one value, one per channel (a parameter or a
// constant) or one per element stored pixel-major (a position embedding).
func arith(out, in []float64, is [3]int, op *model.Op, get func(string) []float32) {
	v := op.Const
	if op.Weight != "" {
		v = get(op.Weight)
	}
	per := is[1] * is[2]
	for i, x := range in {
		a, b := x, float64(v[0])
		switch {
		case op.Perm != nil: // element (p, c) reads entry Perm[p·C + c]
			b = float64(v[op.Perm[(i%per)*is[0]+i/per]])
		case len(v) == len(in) && per > 1: // one per element, pixel-major [H·W, C]
			b = float64(v[(i%per)*is[0]+i/per])
		case len(v) > 1:
			b = float64(v[i/per])
		}
		if op.Rev {
			a, b = b, a
		}
		switch op.Arith {
		case '+':
			out[i] = a + b
		case '-':
			out[i] = a - b
		case '*':
			out[i] = a * b
		case '/':
			out[i] = a / b
		}
	}
}

// layerNorm normalises each pixel over its channels: (x − μ)/√(σ² + ε)·γ + β.
func layerNorm(out, in []float64, is [3]int, op *model.Op, get func(string) []float32) {
	c, per := is[0], is[1]*is[2]
	for p := range per {
		var mu, v float64
		for ch := range c {
			mu += in[ch*per+p] / float64(c)
		}
		for ch := range c {
			d := in[ch*per+p] - mu
			v += d * d / float64(c)
		}
		for ch := range c {
			g, b := 1.0, 0.0
			if op.Weight != "" {
				g = float64(get(op.Weight)[ch])
			}
			if op.Bias != "" {
				b = float64(get(op.Bias)[ch])
			}
			out[ch*per+p] = (in[ch*per+p]-mu)/math.Sqrt(v+op.BNEpsilon())*g + b
		}
	}
}
