package tensorapi

import (
	"context"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
	"landscape/surface"
)

// A Go program's gorgonia tensors in, the surface as a (ny, nx) tensor out: every value equals
// the CPU engine's evaluation of that point over all images at once, found at [j, i].
func TestSurfaceFromGorgoniaTensors(t *testing.T) {
	net, err := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	w := model.Init(net, 4)
	ws := map[string]*tensor.Dense{}
	for _, n := range w.Names {
		ws[n] = ToDense(w.Tensors[n])
	}
	ws["linear.weight"] = tensor.New(tensor.WithShape(10, 64), tensor.WithBacking(widen(w.Tensors["linear.weight"].Data))) // float64 too
	opt := direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"}
	dx, err := Directions("resnet8", ws, 8, 7, 0, opt)
	if err != nil {
		t.Fatal(err)
	}
	dy, err := Directions("resnet8", ws, 8, 7, 1, opt)
	if err != nil {
		t.Fatal(err)
	}
	set := data.Synthetic(24, 1, 8, 8, 10, 3)
	xa, ya := surface.Axis{Min: -1, Max: 1, Num: 3}, surface.Axis{Min: 0, Max: 0.5, Num: 2}
	loss, acc, err := Surface(context.Background(), Input{Model: "resnet8", Weights: ws, X: dx, Y: dy, Data: set,
		XAxis: xa, YAxis: ya, Workers: 2, Batch: 5})
	if err != nil {
		t.Fatal(err)
	}
	if s := loss.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 3 || !acc.Shape().Eq(loss.Shape()) {
		t.Fatalf("shapes %v %v, want (2, 3)", loss.Shape(), acc.Shape())
	}
	// the reference: the directions made independently, every point evaluated in one call
	rx, ry := direction.Random(net, "weights", 7, 0), direction.Random(net, "weights", 7, 1)
	direction.Normalize(rx, w, opt)
	direction.Normalize(ry, w, opt)
	p, err := engine.NewProblem(net, w, rx, ry, set)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := cpu.New(p)
	defer e.Close()
	for i, x := range xa.Coords() {
		for j, y := range ya.Coords() {
			s, err := e.Evaluate(context.Background(), []engine.Point{{A: x, B: y}}, 0, set.N)
			if err != nil {
				t.Fatal(err)
			}
			wantLoss, wantAcc := s[0].Loss/float64(set.N), 100*float64(s[0].Correct)/float64(set.N)
			gl, _ := loss.At(j, i)
			ga, _ := acc.At(j, i)
			if math.Abs(gl.(float64)-wantLoss) > 1e-6*wantLoss || ga.(float64) != wantAcc {
				t.Errorf("(x_%d, y_%d): loss %v acc %v, want %v %v", i, j, gl, ga, wantLoss, wantAcc)
			}
		}
	}
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestBadTensors(t *testing.T) {
	net, _ := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	w := model.Init(net, 4)
	ws := map[string]*tensor.Dense{}
	for _, n := range w.Names {
		ws[n] = ToDense(w.Tensors[n])
	}
	set := data.Synthetic(4, 1, 8, 8, 10, 3)
	x := surface.Axis{Min: 0, Max: 1, Num: 2}
	ints := map[string]*tensor.Dense{"conv1.weight": tensor.New(tensor.WithShape(16, 1, 3, 3), tensor.WithBacking(make([]int, 144)))}
	if _, _, err := Surface(context.Background(), Input{Model: "resnet8", Weights: ws, X: ints, Data: set, XAxis: x}); err == nil ||
		!strings.Contains(err.Error(), `"conv1.weight"`) || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("int direction: %v", err)
	}
	other := map[string]*tensor.Dense{"fc.weight": ToDense(model.NewTensor("fc.weight", 2, 2))}
	if _, _, err := Surface(context.Background(), Input{Model: "resnet8", Weights: ws, X: other, Data: set, XAxis: x}); err == nil ||
		!strings.Contains(err.Error(), "fc.weight") {
		t.Errorf("unknown direction entry: %v", err)
	}
	delete(ws, "layer1.0.bn1.running_var")
	if _, _, err := Surface(context.Background(), Input{Model: "resnet8", Weights: ws, X: map[string]*tensor.Dense{}, Data: set, XAxis: x}); err == nil ||
		!strings.Contains(err.Error(), "layer1.0.bn1.running_var") {
		t.Errorf("missing weight: %v", err)
	}
}
