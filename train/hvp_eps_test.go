package train

import (
	"math"
	"testing"

	"landscape/data"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// TestHVPBatchNormEps: the products use each batch norm's own ε (model.Op.BNEpsilon): with
// ε ∈ {1e-5, 1e-4, 1e-3} and small running variances, the HVP's loss equals the naive float64
// interpreter's (which reads the same ε) to 1e-10, and differs from the loss with PyTorch's
// default ε wherever ε is not the default.
func TestHVPBatchNormEps(t *testing.T) {
	cfg := model.Config{InC: 2, HW: 8, Classes: 3}
	set := data.Synthetic(5, 2, 8, 8, 3, 5)
	lossAt := func(eps float64) (hvp, naive float64) {
		n := buildNet(t, "resnet8-c2", cfg)
		w := model.Init(n, 3)
		for i := range n.Ops {
			if op := &n.Ops[i]; op.Kind == model.OpBatchNorm {
				op.Eps = eps
				for j := range w.Get(op.Prefix + ".running_var").Data {
					w.Get(op.Prefix + ".running_var").Data[j] = 0.01 // ε matters next to σ²
				}
			}
		}
		h, err := NewHVP[float64](n, w, set, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		hvp = h.Apply(nil, nil, make([]float64, h.Dim()))
		for i := range set.N {
			l, _ := engine.CrossEntropy(enginetest.Naive(n, w, set.Image(i)), set.Labels[i])
			naive += l / float64(set.N)
		}
		return hvp, naive
	}
	def, _ := lossAt(0)
	for _, eps := range []float64{1e-5, 1e-4, 1e-3} {
		got, want := lossAt(eps)
		if math.Abs(got-want) > 1e-10*math.Abs(want) {
			t.Errorf("ε %g: HVP loss %.12g, naive %.12g", eps, got, want)
		}
		if differs := math.Abs(got-def) > 1e-6*math.Abs(def); differs != (eps != model.BNEps) {
			t.Errorf("ε %g: loss %.12g, with the default ε %.12g", eps, got, def)
		}
	}
}
