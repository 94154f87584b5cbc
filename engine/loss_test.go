package engine

import (
	"math"
	"testing"
)

// TestCrossEntropy checks the loss against log Σ exp z − z_label written out, the accuracy
// rule (first maximum; a NaN counts as the largest, as torch.max), the stability of the shift
// by the maximum, and that float32 and float64 logits give the same float64 loss.
func TestCrossEntropy(t *testing.T) {
	z := []float64{1, 3, -2, 3}
	want := math.Log(math.Exp(1)+2*math.Exp(3)+math.Exp(-2)) - 3
	for label, right := range []bool{false, true, false, false} { // the first of the two 3s wins
		l, ok := CrossEntropy(z, int32(label))
		if w := want + 3 - z[label]; math.Abs(l-w) > 1e-14 || ok != right {
			t.Errorf("label %d: loss %v, correct %v; want %v, %v", label, l, ok, w, right)
		}
	}
	z32 := []float32{0.5, -1.25, 2, 0.125}
	l32, _ := CrossEntropy(z32, 2)
	l64, _ := CrossEntropy([]float64{0.5, -1.25, 2, 0.125}, 2)
	if l32 != l64 {
		t.Errorf("float32 logits give %v, float64 %v", l32, l64)
	}
	if l, _ := CrossEntropy([]float32{1000, 0}, 1); math.Abs(l-1000) > 1e-9 {
		t.Errorf("large logits: loss %v, want 1000", l)
	}
	if l, ok := CrossEntropy([]float32{0, float32(math.NaN()), 5}, 1); !math.IsNaN(l) || !ok {
		t.Errorf("NaN logit: loss %v, correct %v; want NaN, true", l, ok)
	}
}

// TestSoftmax checks that Softmax's p sums to 1 and is exp(z_k − lse), that lse and the
// arg-max are CrossEntropy's, and that p − onehot is the loss's gradient (central
// differences).
func TestSoftmax(t *testing.T) {
	z := []float64{0.3, -0.7, 1.9, 0.4, -2}
	p := make([]float64, len(z))
	lse, best := Softmax(p, z)
	var sum float64
	for k, pk := range p {
		sum += pk
		if math.Abs(pk-math.Exp(z[k]-lse)) > 1e-15 {
			t.Errorf("p[%d] = %v, want exp(z − lse) = %v", k, pk, math.Exp(z[k]-lse))
		}
	}
	if math.Abs(sum-1) > 1e-15 || best != 2 {
		t.Errorf("Σp = %v, arg-max %d; want 1, 2", sum, best)
	}
	const label, h = 3, 1e-6
	for k := range z {
		zp, zm := append([]float64(nil), z...), append([]float64(nil), z...)
		zp[k] += h
		zm[k] -= h
		lp, _ := CrossEntropy(zp, label)
		lm, _ := CrossEntropy(zm, label)
		g := p[k]
		if k == label {
			g--
		}
		if fd := (lp - lm) / (2 * h); math.Abs(fd-g) > 1e-8 {
			t.Errorf("∂ℓ/∂z_%d: finite differences %v, p − onehot %v", k, fd, g)
		}
	}
}
