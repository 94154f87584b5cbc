package engine

import "math"

// CrossEntropy returns −log softmax(logits)[label] computed in float64
// (log Σ exp(z − max) + max − z_label), and whether the arg-max logit is the label.
// Like torch.max, a NaN logit counts as the largest and the first maximum wins.
func CrossEntropy(logits []float32, label int32) (loss float64, correct bool) {
	best := 0
	m := float64(logits[0])
	for i, v := range logits {
		f := float64(v)
		if math.IsNaN(m) {
			break
		}
		if f > m || math.IsNaN(f) {
			m, best = f, i
		}
	}
	var s float64
	for _, v := range logits {
		s += math.Exp(float64(v) - m)
	}
	return math.Log(s) + m - float64(logits[label]), best == int(label)
}
