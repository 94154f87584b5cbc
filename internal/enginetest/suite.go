package enginetest

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// Case is one network, input shape and set of points the suite evaluates.
type Case struct {
	Model   string
	InC, HW int
	Images  int
	DirType string
}

// Cases covers every layer kind: convolutions 3x3 and 1x1 at strides 1 and 2, folded batch
// norm, identity and projection shortcuts, no shortcuts, ceil-mode max pooling on odd sizes,
// global average pooling, linear layers with BN1d, and perturbed running statistics.
var Cases = []Case{
	{Model: "resnet8", InC: 3, HW: 12, Images: 6, DirType: "weights"},
	{Model: "resnet8-noshort", InC: 1, HW: 10, Images: 5, DirType: "weights"},
	{Model: "wrn8-2", InC: 2, HW: 8, Images: 4, DirType: "states"},
	{Model: "vgg9", InC: 3, HW: 12, Images: 3, DirType: "states"},
}

// Setup builds a problem of case c with random weights, data and filter-normalised directions
// (biases and BN entries copied, so every entry is perturbed).
func Setup(c Case, seed int64) (*engine.Problem, error) {
	return engine.RandomProblem(c.Model, model.Config{InC: c.InC, HW: c.HW, Classes: 10}, c.Images, seed,
		direction.Options{Norm: "filter", Ignore: "none", DirType: c.DirType})
}

// Points are the grid points the suite evaluates: the centre, the axes, and a far corner.
var Points = []engine.Point{{A: 0, B: 0}, {A: 0.25, B: 0}, {A: 0, B: -0.5}, {A: -0.3, B: 0.7}}

// Expected returns the naive float64 sums (loss, squared loss, correct) for each point over
// images [lo, hi).
func Expected(p *engine.Problem, pts []engine.Point, lo, hi int) []engine.Sums {
	out := make([]engine.Sums, len(pts))
	for k, pt := range pts {
		w := p.WeightsAt(pt)
		for i := lo; i < hi; i++ {
			l, ok := engine.CrossEntropy(Naive(p.Net, w, p.Data.Image(i)), p.Data.Labels[i])
			out[k].Loss += l
			out[k].LossSq += l * l
			if ok {
				out[k].Correct++
			}
		}
	}
	return out
}

// LossTol is the relative tolerance on a loss sum: float32 arithmetic with batch norm folded
// into the weights, against a float64 evaluation of the unfused network.
const LossTol = 1e-4

// RunPrecision checks factory's engines, computing in precision (fp32, tf32 or bf16), against the
// naive evaluation on every case: loss sums to LossTols[precision] relative, correct counts within
// one image (two in bf16: a near-tie may flip), and from engines that implement engine.Squares,
// Σ ℓ² to SquaresTols[precision] relative.
func RunPrecision(t *testing.T, factory engine.Factory, precision string) {
	for _, c := range Cases {
		t.Run(fmt.Sprintf("%s_%dx%dx%d_%s", c.Model, c.InC, c.HW, c.HW, c.DirType), func(t *testing.T) { runCase(t, c, factory, precision) })
	}
}

// RunGraphs runs the same checks on the ONNX test graphs of GraphCases (the imported operators
// every engine runs; RunExtGraphs: the rest), for engines that evaluate imported graphs, in fp32.
func RunGraphs(t *testing.T, factory engine.Factory) { RunGraphsPrecision(t, factory, "fp32") }

// RunGraphsPrecision is RunGraphs for an engine computing in precision (as RunPrecision).
func RunGraphsPrecision(t *testing.T, factory engine.Factory, precision string) {
	cases, err := GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", filepath.Base(c.Model), c.DirType), func(t *testing.T) { runCase(t, c, factory, precision) })
	}
}

func runCase(t *testing.T, c Case, factory engine.Factory, precision string) {
	tol, flips := lossTol(t, precision)
	p, err := Setup(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	e, err := factory(p)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	lo, hi := 1, c.Images // a range not starting at zero
	got, err := e.Evaluate(context.Background(), Points, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	want := Expected(p, Points, lo, hi)
	if len(got) != len(want) {
		t.Fatalf("%d results for %d points", len(got), len(want))
	}
	for k := range want {
		rel := math.Abs(got[k].Loss-want[k].Loss) / math.Abs(want[k].Loss)
		if testing.Verbose() {
			t.Logf("%s point %v: rel err %.2g", precision, Points[k], rel)
		}
		if !(rel <= tol) {
			t.Errorf("%s point %v: loss sum %.8g, want %.8g (rel err %.2g > %g)", precision, Points[k], got[k].Loss, want[k].Loss, rel, tol)
		}
		if d := got[k].Correct - want[k].Correct; d < -flips || d > flips {
			t.Errorf("point %v: %d correct, want %d", Points[k], got[k].Correct, want[k].Correct)
		}
	}
	checkSquares(t, engine.SumsSquares(e), got, want, precision)
}

// checkSquares compares an engine's Σ ℓ² with the naive one's, when the engine returns it
// (squares), and otherwise checks that it leaves LossSq 0.
func checkSquares(t *testing.T, squares bool, got, want []engine.Sums, precision string) {
	t.Helper()
	tol := SquaresTols[precision]
	for k := range want {
		if !squares {
			if got[k].LossSq != 0 {
				t.Errorf("point %v: LossSq %g from an engine that does not implement engine.Squares", Points[k], got[k].LossSq)
			}
			continue
		}
		rel := math.Abs(got[k].LossSq-want[k].LossSq) / math.Abs(want[k].LossSq)
		if testing.Verbose() {
			t.Logf("%s point %v: Σℓ² rel err %.2g", precision, Points[k], rel)
		}
		if !(rel <= tol) {
			t.Errorf("%s point %v: Σℓ² %.8g, want %.8g (rel err %.2g > %g)", precision, Points[k], got[k].LossSq, want[k].LossSq, rel, tol)
		}
	}
}
