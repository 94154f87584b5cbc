package gpu

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// TestBNEpsilonOnKernelModels: a batch norm's own ε (model.Op.Eps, as an ONNX node's epsilon
// attribute sets it) reaches fold_weights through its table row, for batch norms folded into a
// convolution (resnet8) and standing alone (the preact graph: eltwise.cu's affine). The
// reference is the naive network with ε = 1e-5 and every running variance raised by ε − 1e-5,
// which is the same function. The variances are made small (σ²·1e-3, γ·√1e-3 to keep the
// scale) so that ε = 1e-3 changes every layer by a factor of about √2: an engine that ignored
// ε would miss the reference by far more than the tolerance (checked).
func TestBNEpsilonOnKernelModels(t *testing.T) {
	graphs, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []enginetest.Case{enginetest.Cases[0], graphs[2]} {
		for _, eps := range []float64{1e-5, 1e-3} {
			t.Run(fmt.Sprintf("%s_eps%g", filepath.Base(c.Model), eps), func(t *testing.T) {
				p := smallVarianceProblem(t, c, eps, 0)
				ref := smallVarianceProblem(t, c, 0, eps-model.BNEps)
				e, err := newEngine(newFake(1<<30), 0, p, Options{Points: 2, Images: 2})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				got, err := e.Evaluate(context.Background(), enginetest.Points, 0, c.Images)
				if err != nil {
					t.Fatal(err)
				}
				want := enginetest.Expected(ref, enginetest.Points, 0, c.Images)
				plain := enginetest.Expected(smallVarianceProblem(t, c, 0, 0), enginetest.Points, 0, c.Images)
				for k := range want {
					if rel := math.Abs(got[k].Loss-want[k].Loss) / math.Abs(want[k].Loss); !(rel <= enginetest.LossTol) {
						t.Errorf("point %v: loss %.8g, want %.8g (rel err %.2g)", enginetest.Points[k], got[k].Loss, want[k].Loss, rel)
					}
					// With ε = 1e-3 the network is another function: the test can tell.
					if d := math.Abs(plain[k].Loss-want[k].Loss) / math.Abs(want[k].Loss); eps > model.BNEps && d < 100*enginetest.LossTol {
						t.Errorf("point %v: ε = %g moves the loss by only %.2g", enginetest.Points[k], eps, d)
					}
				}
			})
		}
	}
}

// smallVarianceProblem is case c's problem (seed 7) with every batch norm's running variance
// scaled by 1e-3 and its γ by √1e-3 (in θ, δ and η alike), then shift added to the variances
// in θ; eps (if not 0) set as every batch-norm node's ε.
func smallVarianceProblem(t *testing.T, c enginetest.Case, eps, shift float64) *engine.Problem {
	p, err := enginetest.Setup(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Net.Ops {
		op := &p.Net.Ops[i]
		if op.Kind != model.OpBatchNorm {
			continue
		}
		op.Eps = eps
		names := op.BNEntries()
		for _, w := range []*model.Weights{p.Base, p.DX, p.DY} {
			scale(w.Get(names[0]), math.Sqrt(1e-3), 0)
			scale(w.Get(names[3]), 1e-3, 0)
		}
		scale(p.Base.Get(names[3]), 1, shift)
	}
	if p.Plan.Net != p.Net {
		t.Fatal("the plan's network is not the problem's")
	}
	return p
}

// scale sets every entry x of tensor t (if any) to float32(x·s + add).
func scale(t *model.Tensor, s, add float64) {
	if t == nil {
		return
	}
	for i, x := range t.Data {
		t.Data[i] = float32(float64(x)*s + add)
	}
}
