package model_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/data"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// smallGraph is conv(+bias) → BN → ReLU → flatten → Gemm on a [N,2,5,4] input; the conv weight
// is called convName.
func smallGraph(t *testing.T, convName string, batch int, tail func(b *enginetest.GraphBuilder, x string) string) string {
	t.Helper()
	b := enginetest.NewGraph(batch, 2, 5, 4)
	x := b.Node("Conv", []string{"input", b.Init(convName, false, 3, 2, 3, 3), b.Init("conv.bias", false, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	x = b.Node("Relu", []string{b.BN("bn", x, 3)})
	x = b.Node("Gemm", []string{b.Node("Flatten", []string{x}), b.Init("fc.weight", false, 4, 60), b.Init("fc.bias", false, 4)}, enginetest.AInt("transB", 1))
	if tail != nil {
		x = tail(b, x)
	}
	path := filepath.Join(t.TempDir(), "net.onnx")
	if err := b.Write(path, x, 4); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestONNXGraphAndRoles(t *testing.T) {
	cases, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, w, err := model.Load(cases[0].Model, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if in := n.Input(); in != [3]int{3, 11, 9} || n.HW != 0 || n.Classes != 10 || n.File != cases[0].Model {
		t.Fatalf("input %v HW %d classes %d file %q; want [3 11 9], 0, 10, %q", in, n.HW, n.Classes, n.File, cases[0].Model)
	}
	kinds := map[string]model.ParamKind{}
	for _, p := range n.Params {
		kinds[p.Name] = p.Kind
		if w.Get(p.Name) == nil || !slices.Equal(w.Get(p.Name).Shape, p.Shape) {
			t.Errorf("weights lack %s %v", p.Name, p.Shape)
		}
	}
	want := map[string]model.ParamKind{"c1.weight": model.KindWeight, "c1.bias": model.KindBias, "bn1.weight": model.KindBNWeight,
		"bn1.bias": model.KindBNBias, "bn2.running_mean": model.KindRunningMean, "bn2.running_var": model.KindRunningVar,
		"dw.weight": model.KindWeight, "se.fc1.weight": model.KindWeight, "se.fc2.weight": model.KindWeight, "fc.bias": model.KindBias}
	for name, k := range want {
		if got, ok := kinds[name]; !ok || got != k {
			t.Errorf("%s: kind %v (present %v), want %v", name, got, ok, k)
		}
	}
	// se.fc2.bias reaches the graph only through an Identity (an exporter-merged initializer):
	// the Identity's output is a parameter of its own, holding the same values.
	var renamed string
	for name, k := range kinds {
		if strings.HasPrefix(name, "Identity_") && k == model.KindBias {
			renamed = name
		}
	}
	if _, orig := kinds["se.fc2.bias"]; renamed == "" || orig {
		t.Fatalf("no Identity-renamed bias parameter (params %v)", kinds)
	}
	if len(w.Get(renamed).Data) != 12 {
		t.Errorf("%s has %d values, want 12", renamed, len(w.Get(renamed).Data))
	}
	// The MatMul reads Transpose(se.fc2.weight): the linear layer uses the [out, in] weight itself.
	for _, op := range n.Ops {
		if op.Weight == "se.fc2.weight" && (op.Kind != model.OpLinear || op.TransW || op.Bias != renamed) {
			t.Errorf("se.fc2 op %+v; want a linear layer on the untransposed weight with bias %s", op, renamed)
		}
	}
	if _, err := model.Compile(n); err != nil {
		t.Fatal(err)
	}
}

func TestONNXErrors(t *testing.T) {
	lrn := smallGraph(t, "conv.weight", -1, func(b *enginetest.GraphBuilder, x string) string {
		return b.Node("LRN", []string{x}, enginetest.AInt("size", 3))
	})
	_, _, err := model.Load(lrn, "", 0)
	if err == nil || !strings.Contains(err.Error(), `LRN ×1 (first: "/LRN_`) || !strings.Contains(err.Error(), "unsupported operators") {
		t.Errorf("unsupported operator: %v", err)
	}
	notONNX := filepath.Join(t.TempDir(), "w.onnx")
	if err := model.WriteSafetensors(notONNX, model.NewWeights(), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := model.Load(notONNX, "", 0); err == nil || !strings.Contains(err.Error(), "w.onnx: not an ONNX model") {
		t.Errorf("a safetensors file named .onnx: %v", err)
	}
	batch2 := smallGraph(t, "conv.weight", 2, nil)
	if _, _, err := model.Load(batch2, "", 0); err == nil || !strings.Contains(err.Error(), "batch N free or 1") {
		t.Errorf("batch 2 input: %v", err)
	}
	ok := smallGraph(t, "conv.weight", 1, nil)
	n, w, err := model.Load(ok, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.NewProblem(n, w, nil, nil, data.Synthetic(3, 2, 4, 5, 4, 1))
	if err == nil || !strings.Contains(err.Error(), "2x4x5 images (CxHxW), model net.onnx expects 2x5x4") {
		t.Errorf("transposed images: %v", err)
	}
}

func TestONNXFusedExportWarning(t *testing.T) {
	var buf bytes.Buffer
	old := model.WarnOutput
	model.WarnOutput = &buf
	defer func() { model.WarnOutput = old }()
	if _, _, err := model.Load(smallGraph(t, "conv.weight", -1, nil), "", 0); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("warning for state_dict names: %s", buf.String())
	}
	if _, _, err := model.Load(smallGraph(t, "onnx::Conv_12", -1, nil), "", 0); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "onnx::Conv_12") || !strings.Contains(s, "batch norm was fused") ||
		!strings.Contains(s, model.ExportCall) {
		t.Errorf("warning %q", s)
	}
}

func TestONNXWeightsFile(t *testing.T) {
	path := smallGraph(t, "conv.weight", -1, nil)
	n, w, err := model.Load(path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	alt := w.Clone()
	alt.Tensors["fc.bias"].Data[2] = 42
	alt.Add(&model.Tensor{Name: "bn.num_batches_tracked", Shape: []int{}, Data: []float32{7}})
	file := filepath.Join(dir, "w.safetensors")
	if err := model.WriteSafetensors(file, alt, nil); err != nil {
		t.Fatal(err)
	}
	_, w2, err := model.Load(path, file, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := w2.Get("fc.bias").Data[2]; got != 42 || w2.Get("bn.num_batches_tracked") != nil || !slices.Equal(w2.Names, w.Names) {
		t.Errorf("weights file not used as given: fc.bias[2] = %v, names %v", got, w2.Names)
	}
	delete(alt.Tensors, "bn.running_var")
	alt.Names = slices.DeleteFunc(alt.Names, func(s string) bool { return s == "bn.running_var" })
	alt.Add(&model.Tensor{Name: "extra", Shape: []int{1}, Data: []float32{1}})
	if err := model.WriteSafetensors(file, alt, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = model.Load(path, file, 0)
	if err == nil || !strings.Contains(err.Error(), `missing tensor "bn.running_var"`) || !strings.Contains(err.Error(), `unexpected tensor "extra"`) {
		t.Errorf("bad weights file: %v", err)
	}
	if n.Spec("bn.running_var").Kind != model.KindRunningVar {
		t.Errorf("bn.running_var kind %v", n.Spec("bn.running_var").Kind)
	}
}

// TestWindowOutSize checks the output sizes against PyTorch's pooling_output_shape.
func TestWindowOutSize(t *testing.T) {
	for _, c := range []struct {
		n, k, s, pad int
		ceil         bool
		want         int
	}{
		{7, 2, 2, 0, true, 4}, {7, 2, 2, 0, false, 3}, {8, 3, 2, 1, true, 5}, {5, 3, 2, 1, true, 3},
		{6, 3, 3, 1, true, 3}, // ⌈5/3⌉+1 = 3; the last window starts at 6−1 = 5 < 6+1: kept
		{4, 2, 3, 1, true, 2}, // ⌈4/3⌉+1 = 3, but the third window would start at 6−1 ≥ 4+1: dropped
		{5, 2, 4, 1, true, 2}, // ⌈5/4⌉+1 = 3, but the third window would start at 8−1 ≥ 5+1: dropped
	} {
		w := model.Window{KH: c.k, KW: c.k, SH: c.s, SW: c.s, DH: 1, DW: 1, PadT: c.pad, PadB: c.pad, PadL: c.pad, PadR: c.pad, Ceil: c.ceil}
		if oh, _ := w.OutSize(c.n, c.n); oh != c.want {
			t.Errorf("%+v: %d, want %d", c, oh, c.want)
		}
	}
}

// TestONNXZooPlanIdentical: a zoo network written as PyTorch exports it compiles to the same
// plan (layers, fusions, buffers) as the built-in one, so it runs at the same speed.
func TestONNXZooPlanIdentical(t *testing.T) {
	for _, name := range []string{"resnet20", "resnet8-noshort", "vgg9", "wrn8-2"} {
		zoo, err := model.Build(name, model.Config{InC: 3, HW: 32, Classes: 10})
		if err != nil {
			t.Fatal(err)
		}
		b, out := enginetest.ZooGraph(zoo, model.Init(zoo, 1))
		path := filepath.Join(t.TempDir(), name+".onnx")
		if err := b.Write(path, out, 10); err != nil {
			t.Fatal(err)
		}
		graph, _, err := model.Load(path, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		pz, err := model.Compile(zoo)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := model.Compile(graph)
		if err != nil {
			t.Fatal(err)
		}
		if len(pz.Layers) != len(pg.Layers) || !slices.Equal(pz.Buffers, pg.Buffers) || pz.Input != pg.Input || pz.Output != pg.Output {
			t.Fatalf("%s: %d layers, buffers %v; from ONNX %d layers, buffers %v", name, len(pz.Layers), pz.Buffers, len(pg.Layers), pg.Buffers)
		}
		for i := range pz.Layers {
			a, g := pz.Layers[i], pg.Layers[i]
			if a.Kind != g.Kind || a.In != g.In || a.Out != g.Out || a.Residual != g.Residual || a.ReLU != g.ReLU || a.Weight != g.Weight ||
				a.Bias != g.Bias || a.BNNames != g.BNNames || a.K != g.K || a.Stride != g.Stride || a.Pad != g.Pad ||
				a.InShape != g.InShape || a.OutShape != g.OutShape || g.Win != (model.Window{}) || g.TransW {
				t.Errorf("%s layer %d: zoo %+v\nONNX %+v", name, i, a, g)
			}
		}
	}
}
