package train

import "math"

// Layer norm over the C channels of each pixel (model.OpLayerNorm) for HVP, on [C][M]
// activations (M = images·pixels), in float64 per pixel. With x̂ = (x − μ)·s, s = 1/√(σ² + ε)
// (μ, σ² the mean and variance over the channels), y = γ⊙x̂ + β, and means ⟨·⟩ over the
// channels, the Jacobian of x̂ is s·(I − 11ᵀ/C − x̂x̂ᵀ/C), symmetric, so
//
//	Rx̂  = s·(Rx − ⟨Rx⟩ − x̂·d),  d = ⟨x̂⊙Rx⟩,  Rs = −s²·d,   Ry = γ⊙Rx̂ + V_γ⊙x̂ + V_β
//	g_x = s·(ĝ − ⟨ĝ⟩ − x̂·m),    ĝ = γ⊙g_y,  m = ⟨x̂⊙ĝ⟩;      g_γ += Σ g_y⊙x̂,  g_β += Σ g_y
//	Rg_x = Rs·(ĝ − ⟨ĝ⟩ − x̂·m) + s·(Rĝ − ⟨Rĝ⟩ − Rx̂·m − x̂·(⟨Rx̂⊙ĝ⟩ + ⟨x̂⊙Rĝ⟩)),  Rĝ = γ⊙Rg_y + V_γ⊙g_y
//	Rg_γ += Σ Rg_y⊙x̂ + g_y⊙Rx̂,  Rg_β += Σ Rg_y.
//
// γ, β (and V, the gradients, the products) are nil when the layer has none (γ = 1, β = 0).
type layerNorm[T Float] struct {
	C, M                   int
	eps                    float64
	gamma, vGamma, vBeta   []T
	gGamma, gBeta          []T
	hGamma, hBeta          []T
	xh, rxh, g, rg, xs, rs []float64 // per pixel scratch
}

func newLayerNorm[T Float](C, M int, eps float64) *layerNorm[T] {
	f := func() []float64 { return make([]float64, C) }
	return &layerNorm[T]{C: C, M: M, eps: eps, xh: f(), rxh: f(), g: f(), rg: f(), xs: f(), rs: f()}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func dotMean(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s / float64(len(a))
}

func (l *layerNorm[T]) gammaAt(c int) float64 {
	if l.gamma == nil {
		return 1
	}
	return float64(l.gamma[c])
}

// normalise fills l.xh with x̂ of pixel m and, when rx is not nil, l.rxh with Rx̂; it returns s and d.
func (l *layerNorm[T]) normalise(x, rx []T, m int) (s, d float64) {
	for c := range l.C {
		l.xs[c] = float64(x[c*l.M+m])
	}
	mu := mean(l.xs)
	var v float64
	for _, xv := range l.xs {
		v += (xv - mu) * (xv - mu)
	}
	s = 1 / math.Sqrt(v/float64(l.C)+l.eps)
	for c, xv := range l.xs {
		l.xh[c] = (xv - mu) * s
	}
	if rx == nil {
		return s, 0
	}
	for c := range l.C {
		l.rs[c] = float64(rx[c*l.M+m])
	}
	mr, d := mean(l.rs), dotMean(l.xh, l.rs)
	for c := range l.C {
		l.rxh[c] = s * (l.rs[c] - mr - l.xh[c]*d)
	}
	return s, d
}

// forward sets y and, when ry is not nil, Ry.
func (l *layerNorm[T]) forward(y, ry, x, rx, beta []T) {
	for m := range l.M {
		l.normalise(x, rx, m)
		for c := range l.C {
			o := float64(l.xh[c]) * l.gammaAt(c)
			if beta != nil {
				o += float64(beta[c])
			}
			y[c*l.M+m] = T(o)
			if ry == nil {
				continue
			}
			r := l.gammaAt(c) * l.rxh[c]
			if l.vGamma != nil {
				r += float64(l.vGamma[c]) * l.xh[c]
			}
			if l.vBeta != nil {
				r += float64(l.vBeta[c])
			}
			ry[c*l.M+m] = T(r)
		}
	}
}

// backward accumulates g_x (when gx is not nil), g_γ, g_β and, when rgy is not nil, their R{·}.
func (l *layerNorm[T]) backward(gx, rgx, gy, rgy, x, rx []T) {
	sgG, sgB, shG, shB := make([]float64, l.C), make([]float64, l.C), make([]float64, l.C), make([]float64, l.C)
	for m := range l.M {
		var rxp []T
		if rgy != nil {
			rxp = rx
		}
		s, d := l.normalise(x, rxp, m)
		for c := range l.C {
			g := float64(gy[c*l.M+m])
			sgG[c] += g * l.xh[c]
			sgB[c] += g
			l.g[c] = l.gammaAt(c) * g
			if rgy != nil {
				r := float64(rgy[c*l.M+m])
				shG[c] += r*l.xh[c] + g*l.rxh[c]
				shB[c] += r
				l.rg[c] = l.gammaAt(c) * r
				if l.vGamma != nil {
					l.rg[c] += float64(l.vGamma[c]) * g
				}
			}
		}
		l.inputGrads(gx, rgx, rgy != nil, s, d, m)
	}
	l.addParamGrads(sgG, sgB, shG, shB, rgy != nil)
}

// inputGrads accumulates pixel m's g_x and Rg_x from l.g (ĝ), l.rg (Rĝ), l.xh and l.rxh.
func (l *layerNorm[T]) inputGrads(gx, rgx []T, withR bool, s, d float64, m int) {
	if gx == nil {
		return
	}
	mg, mm := mean(l.g), dotMean(l.xh, l.g)
	var mrg, cross float64
	if withR {
		mrg, cross = mean(l.rg), dotMean(l.rxh, l.g)+dotMean(l.xh, l.rg)
	}
	for c := range l.C {
		base := l.g[c] - mg - l.xh[c]*mm
		gx[c*l.M+m] += T(s * base)
		if withR {
			rgx[c*l.M+m] += T(-s*s*d*base + s*(l.rg[c]-mrg-l.rxh[c]*mm-l.xh[c]*cross))
		}
	}
}

func (l *layerNorm[T]) addParamGrads(sgG, sgB, shG, shB []float64, withR bool) {
	for c := range l.C {
		if l.gGamma != nil {
			l.gGamma[c] += T(sgG[c])
			if withR {
				l.hGamma[c] += T(shG[c])
			}
		}
		if l.gBeta != nil {
			l.gBeta[c] += T(sgB[c])
			if withR {
				l.hBeta[c] += T(shB[c])
			}
		}
	}
}
