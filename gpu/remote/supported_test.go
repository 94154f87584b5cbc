package remote

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// TestSupported: zoo networks and the ONNX test graphs (every imported operator) are accepted;
// a graph whose convolution adds the network input as its residual is refused, naming the layer.
func TestSupported(t *testing.T) {
	zoo, err := model.Build("resnet8", model.Config{InC: 3, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(zoo); err != nil {
		t.Errorf("zoo network refused: %v", err)
	}
	cases, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		n, _, err := model.LoadONNX(c.Model, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := Supported(n); err != nil {
			t.Errorf("%s refused: %v", c.Model, err)
		}
	}
	b := enginetest.NewGraph(1, 2, 5, 5)
	y := b.Node("Conv", []string{"input", b.Init("c.weight", false, 2, 2, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	y = b.Node("Add", []string{y, "input"})
	out := b.Node("Gemm", []string{b.Node("Flatten", []string{y}), b.Init("fc.weight", false, 3, 50)}, enginetest.AInt("transB", 1))
	path := filepath.Join(t.TempDir(), "addinput.onnx")
	if err := b.Write(path, out, 3); err != nil {
		t.Fatal(err)
	}
	n, _, err := model.LoadONNX(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := Supported(n); err == nil || !strings.Contains(err.Error(), "layer 0 (conv) adds the network input") {
		t.Errorf("a conv adding the input: %v", err)
	}
}

// TestGraphsThroughWorker: an imported graph travels to the worker as its file, which the
// worker loads; the conformance suite over the ONNX test graphs passes through it.
func TestGraphsThroughWorker(t *testing.T) {
	enginetest.RunGraphs(t, func(p *engine.Problem) (engine.Engine, error) {
		es, err := Engines(context.Background(), p, Options{Worker: workerBinary(t), Engine: "cpu"})
		if err != nil {
			return nil, err
		}
		return es[0], nil
	})
}

// TestSupportedAcceptsExtGraphs: the operators and per-node batch-norm ε of
// enginetest.ExtGraphCases run on the GPU kernels (gpu's TestEngineExtGraphsOnKernelModels),
// so `--device auto` takes the GPU for them.
func TestSupportedAcceptsExtGraphs(t *testing.T) {
	checkAccepted(t, enginetest.ExtGraphCases)
}

// TestSupportedAcceptsViTGraphs: the layers of vision transformers (enginetest.ViTGraphCases:
// softmax, MatMul of activations, class tokens, token selection, position embeddings) run on
// the GPU kernels (gpu's TestEngineViTGraphsOnKernelModels), so `--device auto` takes the GPU
// for them.
func TestSupportedAcceptsViTGraphs(t *testing.T) {
	checkAccepted(t, enginetest.ViTGraphCases)
}

// TestSupportedAcceptsSwinGraphs: a shifted-window block (windowed products, zero-padded pixel
// maps, the relative position bias gathered per score, the mask) is accepted, and holds each
// of those features (so the test checks what it names).
func TestSupportedAcceptsSwinGraphs(t *testing.T) {
	for _, n := range checkAccepted(t, enginetest.SwinGraphCases) {
		plan, err := model.Compile(n)
		if err != nil {
			t.Fatal(err)
		}
		var windows, zeros, gathered bool
		for _, l := range plan.Layers {
			windows = windows || (l.Kind == model.OpMatMul && l.Windows > 1)
			zeros = zeros || (l.Kind == model.OpPixels && slices.Contains(l.Perm, -1))
			gathered = gathered || (l.Kind == model.OpArith && l.Perm != nil)
		}
		if !windows || !zeros || !gathered {
			t.Errorf("%s: windowed products %v, zero padding %v, gathered bias %v; want all", n.Name, windows, zeros, gathered)
		}
	}
}

// checkAccepted loads every graph the cases function writes and checks that Supported accepts
// it; it returns the networks.
func checkAccepted(t *testing.T, cases func(dir string) ([]enginetest.Case, error)) []*model.Net {
	t.Helper()
	cs, err := cases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var nets []*model.Net
	for _, c := range cs {
		n, _, err := model.LoadONNX(c.Model, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := Supported(n); err != nil {
			t.Errorf("%s: %v", c.Model, err)
		}
		nets = append(nets, n)
	}
	return nets
}
