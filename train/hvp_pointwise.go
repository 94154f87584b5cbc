package train

import (
	"math"

	"landscape/model"
)

// Element-wise layers of imported graphs for HVP: the activations (Clip, LeakyReLU, Sigmoid,
// HardSigmoid, HardSwish, SiLU, GELU, GELUTanh, Tanh) and arithmetic with a value per tensor or
// per channel (OpArith). Each is y = f(x, v) with v a parameter, a constant or absent; with the
// partial derivatives of f, the R-operator gives
//
//	Ry   = f_x·Rx + f_v·V
//	g_x  = f_x·g_y,                           g_v += f_v·g_y
//	Rg_x = f_x·Rg_y + (f_xx·Rx + f_xv·V)·g_y,  Rg_v += f_v·Rg_y + (f_xv·Rx + f_vv·V)·g_y
//
// (V the direction's component along v, 0 for constants and activations).

// partials holds f(x, v) and its first and second partial derivatives.
type partials struct{ f, fx, fv, fxx, fxv, fvv float64 }

// activationPartials returns f, f′ and f″ of an activation at x, with PyTorch's one-sided
// derivatives at kinks (Clip and HardSigmoid pass gradients on the closed range, LeakyReLU takes
// the slope α at 0, HardSwish its middle piece on [−3, 3]).
func activationPartials(op *model.Op, x float64) partials {
	switch op.Kind {
	case model.OpClip:
		lo, hi := float64(op.Lo), float64(op.Hi)
		if x < lo || x > hi {
			return partials{f: min(max(x, lo), hi)}
		}
		return partials{f: x, fx: 1}
	case model.OpLeakyReLU:
		if x > 0 {
			return partials{f: x, fx: 1}
		}
		a := float64(op.Alpha)
		return partials{f: a * x, fx: a}
	case model.OpSigmoid:
		s := 1 / (1 + math.Exp(-x))
		return partials{f: s, fx: s * (1 - s), fxx: s * (1 - s) * (1 - 2*s)}
	case model.OpTanh:
		t := math.Tanh(x)
		return partials{f: t, fx: 1 - t*t, fxx: -2 * t * (1 - t*t)}
	case model.OpHardSigmoid:
		a := hardSigmoidSlope(op.Alpha)
		u := a*x + float64(op.Beta)
		if u < 0 || u > 1 {
			return partials{f: min(max(u, 0), 1)}
		}
		return partials{f: u, fx: a}
	case model.OpHardSwish:
		switch {
		case x < -3:
			return partials{}
		case x > 3:
			return partials{f: x, fx: 1}
		}
		return partials{f: x * (x + 3) / 6, fx: (2*x + 3) / 6, fxx: 1.0 / 3}
	case model.OpSiLU: // x·σ(x): f′ = σ(1 + x(1 − σ)), f″ = σ(1 − σ)(2 + x(1 − 2σ))
		s := 1 / (1 + math.Exp(-x))
		return partials{f: x * s, fx: s * (1 + x*(1-s)), fxx: s * (1 - s) * (2 + x*(1-2*s))}
	case model.OpGELU: // x·Φ(x): f′ = Φ + x·φ, f″ = φ·(2 − x²)
		phi := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
		return partials{f: x * cdf, fx: cdf + x*phi, fxx: phi * (2 - x*x)}
	case model.OpGELUTanh:
		return geluTanhPartials(x)
	}
	panic("train: not an activation: " + op.Kind.String())
}

// hardSigmoidSlope returns HardSigmoid's α in float64: exactly 1/6 for the float32 nearest to
// it, which is how an ONNX export stores PyTorch's hardsigmoid (slope 1/6; the importer's
// HardSwish fusion reads it the same way), so that float64 products are PyTorch's to rounding.
func hardSigmoidSlope(alpha float32) float64 {
	if a := float64(alpha); math.Abs(a-1.0/6) > 1e-7 {
		return a
	}
	return 1.0 / 6
}

// geluTanhPartials: f = x/2·(1 + tanh u), u = c·(x + a·x³), c = √(2/π), a = 0.044715:
// f′ = (1 + t)/2 + x/2·(1 − t²)·u′,  f″ = (1 − t²)·(u′ + x/2·(u″ − 2t·u′²)), t = tanh u.
func geluTanhPartials(x float64) partials {
	const a = 0.044715
	c := math.Sqrt(2 / math.Pi)
	u, du, ddu := c*(x+a*x*x*x), c*(1+3*a*x*x), 6*c*a*x
	t := math.Tanh(u)
	sech := 1 - t*t
	return partials{f: x / 2 * (1 + t), fx: (1+t)/2 + x/2*sech*du, fxx: sech * (du + x/2*(ddu-2*t*du*du))}
}

// arithPartials returns the partials of x ∘ v (v ∘ x when op.Rev).
func arithPartials(op *model.Op, x, v float64) partials {
	switch {
	case op.Arith == '+':
		return partials{f: x + v, fx: 1, fv: 1}
	case op.Arith == '-' && !op.Rev:
		return partials{f: x - v, fx: 1, fv: -1}
	case op.Arith == '-':
		return partials{f: v - x, fx: -1, fv: 1}
	case op.Arith == '*':
		return partials{f: x * v, fx: v, fv: x, fxv: 1}
	case op.Arith == '/' && !op.Rev: // x/v
		return partials{f: x / v, fx: 1 / v, fv: -x / (v * v), fxv: -1 / (v * v), fvv: 2 * x / (v * v * v)}
	case op.Arith == '/': // v/x
		return partials{f: v / x, fx: -v / (x * x), fv: 1 / x, fxx: 2 * v / (x * x * x), fxv: -1 / (x * x)}
	}
	panic("train: unknown arithmetic " + string(op.Arith))
}

// pointwise is one element-wise op over a chunk: x, y, their tangents and gradients ([C][M],
// M = images·pixels, P pixels per image), and the operand v (nil for an activation; one value,
// one per channel, or one per element stored pixel-major [P, C] as a position embedding) with
// its direction V, gradient gV and product hV (nil for a constant operand).
type pointwise[T Float] struct {
	op           *model.Op
	M, P, C      int
	v, V, gV, hV []T
	cv           []float32 // a constant operand
}

// operandIndex returns the index in an operand of n values of element i = c·M + image·P + p:
// through op.Perm when the operand is a table gathered per element (a relative position bias,
// whose gradient is then a scatter-add through the same index).
func (p *pointwise[T]) operandIndex(i, n int) int {
	switch {
	case p.op.Perm != nil:
		return p.op.Perm[(i%p.P)*p.C+i/p.M]
	case n == 1:
		return 0
	case n == p.C:
		return i / p.M
	}
	return (i%p.P)*p.C + i/p.M
}

func (p *pointwise[T]) at(i int, x float64) (partials, float64, int) {
	if p.op.Kind != model.OpArith {
		return activationPartials(p.op, x), 0, -1
	}
	k := p.operandIndex(i, max(len(p.v), len(p.cv)))
	if p.cv != nil {
		return arithPartials(p.op, x, float64(p.cv[k])), 0, -1
	}
	var dv float64
	if p.V != nil {
		dv = float64(p.V[k])
	}
	return arithPartials(p.op, x, float64(p.v[k])), dv, k
}

// forward sets y = f(x, v) and, when ry is not nil, Ry = f_x·Rx + f_v·V.
func (p *pointwise[T]) forward(y, ry, x, rx []T) {
	for i, xv := range x {
		d, dv, _ := p.at(i, float64(xv))
		y[i] = T(d.f)
		if ry != nil {
			ry[i] = T(d.fx*float64(rx[i]) + d.fv*dv)
		}
	}
}

// backward accumulates g_x (when gx is not nil) and g_v and, when rgy is not nil, their R{·}.
func (p *pointwise[T]) backward(gx, rgx, gy, rgy, x, rx []T) {
	var sg, sh []float64
	if p.gV != nil {
		sg, sh = make([]float64, len(p.gV)), make([]float64, len(p.gV))
	}
	for i, xv := range x {
		d, dv, k := p.at(i, float64(xv))
		g := float64(gy[i])
		if gx != nil {
			gx[i] += T(d.fx * g)
		}
		if k >= 0 && sg != nil {
			sg[k] += d.fv * g
		}
		if rgy == nil {
			continue
		}
		r, drx := float64(rgy[i]), float64(rx[i])
		if rgx != nil {
			rgx[i] += T(d.fx*r + (d.fxx*drx+d.fxv*dv)*g)
		}
		if k >= 0 && sh != nil {
			sh[k] += d.fv*r + (d.fxv*drx+d.fvv*dv)*g
		}
	}
	for k := range sg {
		p.gV[k] += T(sg[k])
		if rgy != nil {
			p.hV[k] += T(sh[k])
		}
	}
}

// mulForward sets y = a ⊙ b, b of a's size or one value per plane of P values ([C][B][1]
// against [C][B][P]), and, when ry is not nil, Ry = Ra ⊙ b + a ⊙ Rb.
func mulForward[T Float](y, ry, a, ra, b, rb []T, P int) {
	per := len(a) / len(b) // 1 or P
	for i, av := range a {
		bv := b[i/per]
		y[i] = av * bv
		if ry != nil {
			ry[i] = ra[i]*bv + av*rb[i/per]
		}
	}
}

// mulBackward accumulates g_a = g_y ⊙ b and g_b = Σ g_y ⊙ a (summed over each plane when b is
// broadcast), and when rgy is not nil Rg_a = Rg_y ⊙ b + g_y ⊙ Rb and Rg_b = Σ Rg_y ⊙ a + g_y ⊙ Ra.
// Either of ga, gb may be nil (an input that needs no gradient).
func mulBackward[T Float](ga, gb, rga, rgb, gy, rgy, a, ra, b, rb []T) {
	per := len(a) / len(b)
	for j := range b {
		var sb, sr float64
		for i := j * per; i < (j+1)*per; i++ {
			g := gy[i]
			if ga != nil {
				ga[i] += g * b[j]
			}
			sb += float64(g) * float64(a[i])
			if rgy != nil {
				if rga != nil {
					rga[i] += rgy[i]*b[j] + g*rb[j]
				}
				sr += float64(rgy[i])*float64(a[i]) + float64(g)*float64(ra[i])
			}
		}
		if gb != nil {
			gb[j] += T(sb)
			if rgy != nil {
				rgb[j] += T(sr)
			}
		}
	}
}
