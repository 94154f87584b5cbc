package train

import (
	"math"
	"testing"

	"landscape/model"
)

// Two SGD steps on a two-element parameter, by hand (lr 0.1, momentum 0.9, wd 0.01):
//
//	w0 = (1, −2), ∇ = (0.5, 1) at both steps
//	step 1: g = (0.51, 0.98), buf = g
//	  plain:    w1 = w0 − 0.1·buf = (0.949, −2.098)
//	  Nesterov: g + 0.9·buf = (0.969, 1.862) → w1 = (0.9031, −2.1862)
//	step 2 (plain): g = (0.5 + 0.00949, 1 − 0.02098) = (0.50949, 0.97902),
//	  buf = 0.9·(0.51, 0.98) + g = (0.96849, 1.86102), w2 = (0.852151, −2.284102)
//	step 2 (Nesterov, from (0.9031, −2.1862)): g = (0.509031, 0.978138),
//	  buf = (0.968031, 1.860138), g + 0.9·buf = (1.3802589, 2.6522622), w2 = (0.76507411, −2.45142622)
func TestSGDByHand(t *testing.T) {
	for _, c := range []struct {
		nesterov bool
		w1, w2   [2]float64
	}{
		{false, [2]float64{0.949, -2.098}, [2]float64{0.852151, -2.284102}},
		{true, [2]float64{0.9031, -2.1862}, [2]float64{0.76507411, -2.45142622}},
	} {
		p := &Param[float64]{ParamSpec: model.ParamSpec{Name: "w"}, Data: []float64{1, -2}, Grad: []float64{0.5, 1}}
		o := &SGD[float64]{LR: 0.1, Momentum: 0.9, WD: 0.01, Nesterov: c.nesterov}
		for step, want := range [][2]float64{c.w1, c.w2} {
			o.Step([]*Param[float64]{p})
			for i := range want {
				if math.Abs(p.Data[i]-want[i]) > 1e-12 {
					t.Errorf("nesterov=%v step %d: w[%d] = %.10g, want %.10g", c.nesterov, step+1, i, p.Data[i], want[i])
				}
			}
		}
	}
	// no momentum: no buffers, w ← w − lr·(∇ + wd·w)
	p := &Param[float64]{ParamSpec: model.ParamSpec{Name: "w"}, Data: []float64{2}, Grad: []float64{1}}
	o := &SGD[float64]{LR: 0.5, WD: 0.1}
	o.Step([]*Param[float64]{p})
	if p.Data[0] != 2-0.5*1.2 || len(o.Bufs) != 0 {
		t.Errorf("plain SGD: w = %v, %d buffers", p.Data[0], len(o.Bufs))
	}
	// buffers (running statistics) are not touched
	b := &Param[float64]{ParamSpec: model.ParamSpec{Name: "running_mean"}, Data: []float64{3}}
	o.Step([]*Param[float64]{b})
	if b.Data[0] != 3 {
		t.Errorf("buffer changed to %v", b.Data[0])
	}
}
