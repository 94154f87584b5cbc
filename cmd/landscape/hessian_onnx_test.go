package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/data"
	"landscape/internal/enginetest"
	"landscape/internal/testenv"
	"landscape/surface"
)

// landscape hessian on imported graphs, no PyTorch needed: at θ on an ONNX graph with every
// operator of torchvision's newer CNNs (enginetest's mobile graph: HardSwish, SiLU, SE gates,
// Tanh, GELU, arithmetic with parameters, channel shuffle, Split, Concat, Slice) and on a
// one-block vision transformer (enginetest's batch-first ViT graph: class token, position
// embedding, LayerNorm, 2-head attention, GELU) and a Swin block (enginetest's: padded,
// shifted windows with their mask, relative position bias, patch merging), their weights from the file (no --weights),
// and an eigenvalue map along one random direction on a ConvNeXt block (LayerNorm, depthwise
// 7×7, GELU, layer scale); a zoo network without --weights is refused, naming the flag.
func TestHessianONNX(t *testing.T) {
	dir := t.TempDir()
	cases, err := enginetest.ExtGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	vit, err := enginetest.ViTGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	swin, err := enginetest.SwinGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	mobile, convnext := cases[0].Model, cases[2].Model
	mobileData := writeNPZImages(t, dir, "m.npz", 6, 3, 10, 9)
	for _, g := range []struct{ model, data string }{
		{mobile, mobileData}, {vit[0].Model, writeNPZImages(t, dir, "v.npz", 5, 3, 8, 12)},
		{swin[0].Model, writeNPZImages(t, dir, "s.npz", 5, 3, 10, 10)},
	} {
		js := filepath.Join(dir, "h.json")
		mustRun(t, "hessian", "--model", g.model, "--data", g.data, "--top", "2", "--trace", "--max-samples", "20", "--out", js, "--quiet")
		var r struct {
			Top   []float64 `json:"top_eigenvalues"`
			Min   float64   `json:"min_eigenvalue"`
			Trace float64
		}
		b, _ := os.ReadFile(js)
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Top) != 2 || !(r.Top[0] >= r.Top[1]) || !(r.Min <= r.Top[1]) || !(r.Top[0] > 0) || math.IsNaN(r.Trace) {
			t.Errorf("%s: %s", filepath.Base(g.model), b)
		}
	}
	npz := filepath.Join(dir, "map.npz")
	mustRun(t, "hessian", "--model", convnext, "--data", writeNPZImages(t, dir, "c.npz", 4, 3, 9, 11), "--x", "-0.5:0.5:3", "--out", npz, "--quiet")
	s, err := surface.Load(npz)
	if err != nil {
		t.Fatal(err)
	}
	if hi, lo := s.Extra["max_eig"], s.Extra["min_eig"]; len(hi) != 3 || len(s.Missing()) != 0 || !(hi[1] > lo[1]) {
		t.Errorf("convnext map: max %v min %v missing %v", hi, lo, s.Missing())
	}
	if _, e, code := run(t, "hessian", "--model", "resnet8", "--data", mobileData, "--top", "1"); code == 0 || !strings.Contains(e, "--weights") {
		t.Errorf("zoo network without --weights: exit %d: %s", code, e)
	}
}

// The top two and the smallest Hessian eigenvalues of networks exported to ONNX, from landscape
// hessian on the .onnx file, equal scipy's eigsh on torch.autograd's float64 products of the
// PyTorch module (tools/torch_hessian.py eig --model onnx:NAME) to 1e-3 relative (the smallest:
// 1e-3 of the largest): a MobileNetV2 (tools/onnx_nets.py: depthwise convolutions, ReLU6, a
// Sigmoid squeeze-and-excitation gate) and a small DeiT (tools/onnx_vit.py: patch embedding,
// class and distillation tokens, position embedding, two pre-norm blocks of four heads, two
// classifier heads averaged) and a small Swin (tools/onnx_vit.py swin_tiny: 3×3 windows padded
// and shifted with their mask, relative position bias tables, patch merging).
func TestHessianONNXMatchesPyTorch(t *testing.T) {
	testenv.Python(t, "torch", "numpy", "scipy", "onnx")
	for _, c := range []struct {
		net  string
		data func(dir string) string
		args []string
	}{
		{"mobilenetv2", func(dir string) string { return writeIDX(t, dir, 16, 8) }, []string{"--in-ch", "1", "--hw", "8"}},
		{"vit_deit", func(dir string) string { return writeCIFAR(t, dir, 8) }, nil},
		{"swin_tiny", func(dir string) string { return writeCIFAR(t, dir, 8) }, nil},
	} {
		t.Run(c.net, func(t *testing.T) {
			dir := t.TempDir()
			spec := c.data(dir)
			onnxFile, w := exportONNX(t, dir, c.net, 1, c.args...)
			js, ref := filepath.Join(dir, "h.json"), filepath.Join(dir, "ref.json")
			mustRun(t, "hessian", "--model", onnxFile, "--data", spec, "--split", "test", "--top", "2", "--lanczos-tol", "1e-7",
				"--max-steps", "400", "--out", js, "--quiet")
			runTool(t, "torch_hessian.py", "eig", "--model", "onnx:"+c.net, "--weights", w, "--data", spec, "--split", "test",
				"--k", "2", "--out", ref)
			compareEigsh(t, js, ref)
		})
	}
}

// compareEigsh checks landscape hessian's output js against torch_hessian.py eig's ref.
func compareEigsh(t *testing.T, js, ref string) {
	t.Helper()
	var got struct {
		Top []float64 `json:"top_eigenvalues"`
		Min float64   `json:"min_eigenvalue"`
	}
	var want struct {
		Top []float64
		Min float64
	}
	for _, f := range []struct {
		path string
		v    any
	}{{js, &got}, {ref, &want}} {
		b, _ := os.ReadFile(f.path)
		if err := json.Unmarshal(b, f.v); err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
	}
	t.Logf("landscape top %v min %.7g; eigsh top %v min %.7g", got.Top, got.Min, want.Top, want.Min)
	if len(got.Top) != 2 || len(want.Top) != 2 {
		t.Fatalf("top eigenvalues %v, eigsh %v", got.Top, want.Top)
	}
	for i := range want.Top {
		if math.Abs(got.Top[i]-want.Top[i]) > 1e-3*math.Abs(want.Top[i]) {
			t.Errorf("eigenvalue %d: %.7g, eigsh %.7g", i, got.Top[i], want.Top[i])
		}
	}
	if math.Abs(got.Min-want.Min) > 1e-3*math.Abs(want.Top[0]) {
		t.Errorf("smallest eigenvalue %.7g, eigsh %.7g", got.Min, want.Min)
	}
}

// writeNPZImages writes n random uint8 c×h×w images with labels 0..3 as dir/name ("x", "y")
// and returns the data spec.
func writeNPZImages(t *testing.T, dir, name string, n, c, h, w int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), uint64(h)))
	x, y := make([]uint8, n*c*h*w), make([]int64, n)
	for i := range x {
		x[i] = uint8(r.IntN(256))
	}
	for i := range y {
		y[i] = int64(r.IntN(4))
	}
	path := filepath.Join(dir, name)
	if err := data.WriteNPZ(path, x, n, c, h, w, y); err != nil {
		t.Fatal(err)
	}
	return "npz:" + path
}
