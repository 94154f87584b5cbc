package gpu

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"landscape/cpu"
	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
)

// pixelLinearCase writes a graph with a Linear on the channels of an NHWC activation whose
// MatMul weight is an [in, out] initializer (no Transpose before it): a 1×1 conv with TransW,
// which the layout places transposed. ExtGraphCases' ConvNeXt has only Transpose(W) weights.
func pixelLinearCase(t *testing.T) enginetest.Case {
	b := enginetest.NewGraph(-1, 3, 6, 5)
	x := b.Node("Conv", []string{"input", b.Init("c.weight", false, 4, 3, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	y := b.Node("MatMul", []string{b.Node("Transpose", []string{x}, enginetest.AInts("perm", 0, 2, 3, 1)), b.Init("pw.weight", false, 4, 7)})
	y = b.Node("Transpose", []string{b.Node("Add", []string{y, b.Init("pw.bias", false, 7)})}, enginetest.AInts("perm", 0, 3, 1, 2))
	y = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{b.Node("Tanh", []string{y})})})
	out := b.Node("Gemm", []string{y, b.Init("fc.weight", false, 5, 7)}, enginetest.AInt("transB", 1))
	path := filepath.Join(t.TempDir(), "pixel_linear.onnx")
	if err := b.Write(path, out, 5); err != nil {
		t.Fatal(err)
	}
	return enginetest.Case{Model: path, Images: 5, DirType: "weights"}
}

// TestPixelLinearTransW: the [in, out] weight of a Linear per pixel runs on the GEMM conv
// kernels, folded bit for bit as the CPU folds it, to the CPU's loss.
func TestPixelLinearTransW(t *testing.T) {
	c := pixelLinearCase(t)
	p, err := enginetest.Setup(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range p.Plan.Layers {
		found = found || (l.Kind == model.OpConv && l.TransW)
	}
	if !found {
		t.Fatal("the plan has no conv layer with an [in, out] weight")
	}
	for _, o := range []Options{{Points: 3, Images: 2}, {Kernels: "reference", Points: 2, Images: 4}} {
		e, err := newEngine(newFake(1<<30), 0, p, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Evaluate(context.Background(), enginetest.Points, 0, c.Images)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range enginetest.Expected(p, enginetest.Points, 0, c.Images) {
			if rel := math.Abs(got[k].Loss-want.Loss) / math.Abs(want.Loss); !(rel <= enginetest.LossTol) {
				t.Errorf("%s point %v: loss sum %.8g, want %.8g (rel err %.2g)", o.Kernels, enginetest.Points[k], got[k].Loss, want.Loss, rel)
			}
		}
	}
}

// TestActCodes: ReLU and every activation kind of the model have an activation code of their
// own, and every code but ACT_NONE belongs to one (kernels.Act is generated from graph.cuh, so
// a code added there without a kind here fails).
func TestActCodes(t *testing.T) {
	seen := map[kernels.Act]model.OpKind{}
	for k := model.OpKind(0); k <= model.OpChannels; k++ {
		if k != model.OpReLU && !k.IsActivation() {
			if actCode(k) != int(kernels.ActNone) {
				t.Errorf("%s is no activation but has code %d", k, actCode(k))
			}
			continue
		}
		a := kernels.Act(actCode(k))
		if a == kernels.ActNone {
			t.Errorf("activation %s has no code", k)
		} else if other, dup := seen[a]; dup {
			t.Errorf("%s and %s share code %s", k, other, a)
		}
		seen[a] = k
	}
	if len(seen) != kernels.ActCount-1 {
		t.Errorf("%d activation kinds for %d codes other than ACT_NONE", len(seen), kernels.ActCount-1)
	}
	if len(arithOps) != kernels.ArithOpCount {
		t.Errorf("%d arithmetic operators for %d codes", len(arithOps), kernels.ArithOpCount)
	}
}

// TestPermTableChecks: a channel layer whose Perm does not fit its shapes is refused.
func TestPermTableChecks(t *testing.T) {
	for _, l := range []model.Layer{
		{Kind: model.OpChannels, InShape: [3]int{4, 1, 1}, OutShape: [3]int{2, 1, 1}, Perm: []int{0}},
		{Kind: model.OpChannels, InShape: [3]int{4, 1, 1}, OutShape: [3]int{2, 1, 1}, Perm: []int{3, 4}},
	} {
		if _, err := permTable(&l); err == nil {
			t.Errorf("perm %v for %d → %d channels accepted", l.Perm, l.InShape[0], l.OutShape[0])
		}
	}
	if got, err := permTable(&model.Layer{Kind: model.OpChannels, InShape: [3]int{4, 1, 1}, OutShape: [3]int{3, 1, 1}, Perm: []int{3, 0, 2}}); err != nil || got[0] != 3 || got[2] != 2 {
		t.Errorf("permTable: %v, %v", got, err)
	}
}

// TestExtLayerFusedActivation: an activation fused into an arithmetic, LayerNorm or channel
// layer (model.Compile fuses none there today; the CPU engine applies one when the plan has it)
// runs after the layer in place, to the CPU engine's loss.
func TestExtLayerFusedActivation(t *testing.T) {
	cases, err := enginetest.ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []enginetest.Case{cases[0], cases[4]} { // mobile (arith, channels), convnext17 (LayerNorm)
		p, err := enginetest.Setup(c, 4)
		if err != nil {
			t.Fatal(err)
		}
		fused := 0
		for i := range p.Plan.Layers {
			if l := &p.Plan.Layers[i]; l.Kind == model.OpArith || l.Kind == model.OpLayerNorm || l.Kind == model.OpChannels {
				l.HasAct, l.Act, l.Alpha, l.Beta = true, []model.OpKind{model.OpGELU, model.OpHardSigmoid, model.OpTanh}[fused%3], 0.3, 0.45
				fused++
			}
		}
		if fused < 2 {
			t.Fatalf("%s: %d arithmetic, LayerNorm or channel layers", c.Model, fused)
		}
		ce, err := cpu.New(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ce.Evaluate(context.Background(), enginetest.Points, 0, c.Images)
		if err != nil {
			t.Fatal(err)
		}
		e, err := newEngine(newFake(1<<30), 0, p, Options{Points: 2, Images: 3})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Evaluate(context.Background(), enginetest.Points, 0, c.Images)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if rel := math.Abs(got[k].Loss-want[k].Loss) / math.Abs(want[k].Loss); !(rel <= 1e-6) {
				t.Errorf("%s point %v: loss %.8g, CPU %.8g (rel err %.2g)", c.Model, enginetest.Points[k], got[k].Loss, want[k].Loss, rel)
			}
		}
	}
}
