package train

import "landscape/engine"

// Evaluation-mode layers and the R-operator (directional derivative along v) of their forward
// and backward passes, for HVP. Layout as in layers.go: [C][M] with M = images·pixels values
// per channel. Batch norm in evaluation mode is per channel the affine map
//
//	y = a·x + c,  a = γ·s,  c = β − μ·a,  s = 1/√(σ²_running + ε),
//
// with μ and σ² the running statistics (constants).

// bnEvalForward sets y = a·x + c per channel, as PyTorch's evaluation-mode batch norm.
func bnEvalForward[T Float](y, x, gamma, beta []T, mean, inv []float64, M int) {
	for c := range gamma {
		a := float64(gamma[c]) * inv[c]
		sc, sh := T(a), T(float64(beta[c])-mean[c]*a)
		ys, xs := y[c*M:][:M], x[c*M:][:M]
		for i, v := range xs {
			ys[i] = v*sc + sh
		}
	}
}

// bnEvalForwardR sets the tangent ry = a·rx + v_γ·s·(x − μ) + v_β.
func bnEvalForwardR[T Float](ry, x, rx, gamma, vGamma, vBeta []T, mean, inv []float64, M int) {
	for c := range gamma {
		a, vs, vb := float64(gamma[c])*inv[c], float64(vGamma[c])*inv[c], float64(vBeta[c])
		ys, xs, rxs := ry[c*M:][:M], x[c*M:][:M], rx[c*M:][:M]
		for i, v := range xs {
			ys[i] = T(a*float64(rxs[i]) + vs*(float64(v)-mean[c]) + vb)
		}
	}
}

// bnEvalBackward accumulates dx += a·dy (when dx is not nil), dγ += Σ dy·(x − μ)·s and
// dβ += Σ dy, sums in float64.
func bnEvalBackward[T Float](dx, dGamma, dBeta, dy, x, gamma []T, mean, inv []float64, M int) {
	for c := range gamma {
		xs, dys := x[c*M:][:M], dy[c*M:][:M]
		var sdy, sdyx float64
		for i, g := range dys {
			sdy += float64(g)
			sdyx += float64(g) * (float64(xs[i]) - mean[c])
		}
		dBeta[c] += T(sdy)
		dGamma[c] += T(sdyx * inv[c])
		if dx != nil {
			a := T(float64(gamma[c]) * inv[c])
			dxs := dx[c*M:][:M]
			for i, g := range dys {
				dxs[i] += a * g
			}
		}
	}
}

// bnEvalBackwardR accumulates the R{·} of bnEvalBackward's results:
//
//	R{dx} += a·R{dy} + v_γ·s·dy,  R{dγ} += Σ (R{dy}·(x − μ) + dy·rx)·s,  R{dβ} += Σ R{dy}.
func bnEvalBackwardR[T Float](rdx, rGamma, rBeta, dy, rdy, x, rx, gamma, vGamma []T, mean, inv []float64, M int) {
	for c := range gamma {
		xs, dys, rdys, rxs := x[c*M:][:M], dy[c*M:][:M], rdy[c*M:][:M], rx[c*M:][:M]
		var sr, srx float64
		for i, r := range rdys {
			sr += float64(r)
			srx += float64(r)*(float64(xs[i])-mean[c]) + float64(dys[i])*float64(rxs[i])
		}
		rBeta[c] += T(sr)
		rGamma[c] += T(srx * inv[c])
		if rdx != nil {
			a, vs := float64(gamma[c])*inv[c], float64(vGamma[c])*inv[c]
			out := rdx[c*M:][:M]
			for i, r := range rdys {
				out[i] += T(a*float64(r) + vs*float64(dys[i]))
			}
		}
	}
}

// gatherPool is max pooling's tangent: each output takes the tangent of the input that was
// its window's maximum, out[pl][o] = in[pl][arg[pl][o]], for planes of hw inputs and op outputs.
func gatherPool[T Float](out, in []T, arg []int32, hw, op, planes int) {
	for pl := range planes {
		src, dst, a := in[pl*hw:][:hw], out[pl*op:][:op], arg[pl*op:][:op]
		for o := range dst {
			dst[o] = src[a[o]]
		}
	}
}

// crossEntropyR sets rdz to the R{·} of crossEntropy's gradient for the logits z ([K][B]) with
// tangent rz: rdz[k][n] = scale·p_k·(rz_k − Σ_j p_j·rz_j), p = softmax(z_n), the Hessian of
// scale·ℓ with respect to the logits, (diag p − p pᵀ), applied to rz. In float64.
func crossEntropyR[T Float](rdz, z, rz []T, K, B int, scale float64) {
	p, zn := make([]float64, K), make([]T, K)
	for n := range B {
		for k := range K {
			zn[k] = z[k*B+n]
		}
		engine.Softmax(p, zn)
		var dot float64
		for k := range K {
			dot += p[k] * float64(rz[k*B+n])
		}
		for k := range K {
			rdz[k*B+n] = T(scale * p[k] * (float64(rz[k*B+n]) - dot))
		}
	}
}
