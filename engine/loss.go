package engine

import "math"

// Float is the element type of the logits the loss takes: float32 (the engines) or float64
// (training's gradient checks and the Hessian).
type Float interface{ ~float32 | ~float64 }

// CrossEntropy returns −log softmax(z)[label] computed in float64
// (log Σ exp(z − max) + max − z_label), and whether the arg-max logit is the label.
// Like torch.max, a NaN logit counts as the largest and the first maximum wins.
// It is the one definition of the loss in Go: the CPU engine and training use it.
func CrossEntropy[T Float](z []T, label int32) (loss float64, correct bool) {
	lse, best := logSumExp(z, nil)
	return lse - float64(z[label]), best == int(label)
}

// Softmax sets p[k] = exp(z_k − m)/Σ_j exp(z_j − m) = softmax(z)_k in float64, m the largest
// logit as CrossEntropy picks it, and returns log Σ_k exp z_k (as log Σ exp(z − m) + m) and
// the index of m. The gradient of CrossEntropy(z, label) with respect to z is
// p − onehot(label), and its Hessian diag p − p pᵀ.
func Softmax[T Float](p []float64, z []T) (lse float64, best int) {
	return logSumExp(z, p[:len(z)])
}

// logSumExp returns log Σ_k exp z_k as log Σ exp(z − m) + m, m = max z (the first maximum, a
// NaN counting as the largest, as torch.max), and m's index; with p not nil it sets p to the
// softmax of z.
func logSumExp[T Float](z []T, p []float64) (lse float64, best int) {
	m := float64(z[0])
	for i, v := range z {
		f := float64(v)
		if math.IsNaN(m) {
			break
		}
		if f > m || math.IsNaN(f) {
			m, best = f, i
		}
	}
	var s float64
	for i, v := range z {
		e := math.Exp(float64(v) - m)
		s += e
		if p != nil {
			p[i] = e
		}
	}
	for i := range p {
		p[i] /= s
	}
	return math.Log(s) + m, best
}
