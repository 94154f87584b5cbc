package gpu

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/internal/testenv"
	"landscape/model"
)

// torchvisionGPUNets are the torchvision 0.14 classifiers whose layers the newer imported-graph
// kernels run (cmd/landscape's TestTorchvisionONNX checks all of them against PyTorch on the
// CPU engine): batch-norm ε 1e-3, HardSigmoid/HardSwish, SiLU, squeeze-and-excitation, channel
// shuffle and Split, LayerNorm, GELU, NHWC Linear, layer scale; at the opset whose export
// differs (17) or the only one, on 64×64 images; ConvNeXt-T on 32×32 (its 28M parameters make
// it the slowest on the Go kernel models; the opset-13 LayerNorm pattern is in ExtGraphCases).
var torchvisionGPUNets = []struct {
	name      string
	opset, hw int
}{
	{"googlenet", 17, 64}, {"shufflenet_v2_x1_0", 13, 64}, {"mobilenet_v3_small", 17, 64}, {"efficientnet_b0", 17, 64},
	{"convnext_tiny", 17, 32},
}

// TestTorchvisionOnKernelModels: those networks, exported by tools/torch_onnx_ref.py (random
// weights and batch-norm statistics), run on the GPU engine driving the Go kernel
// models in fp32, tf32 and bf16, against the CPU engine at two points of a filter-normalised
// plane (2 images, K = 2, B = 1: every launch over several weight sets), within
// enginetest.LossTols.
func TestTorchvisionOnKernelModels(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy")
	if testing.Short() {
		t.Skip("exports torchvision networks (-short)")
	}
	dir := t.TempDir()
	for _, c := range torchvisionGPUNets {
		t.Run(fmt.Sprintf("%s_opset%d", c.name, c.opset), func(t *testing.T) {
			onnxFile := filepath.Join(dir, fmt.Sprintf("%s_%d.onnx", c.name, c.opset))
			cmd := exec.Command(py, "../tools/torch_onnx_ref.py", "export", "--net", "tv:"+c.name, "--seed", "3",
				"--onnx", onnxFile, "--weights", onnxFile+".safetensors", "--hw", fmt.Sprint(c.hw), "--opset", fmt.Sprint(c.opset))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			p := torchvisionProblem(t, onnxFile)
			compareWithCPU(t, p, []engine.Point{{A: 0, B: 0}, {A: -0.3, B: 0.7}})
		})
	}
}

// compareWithCPU evaluates pts over p's images on the GPU engine driving the Go kernel models
// (K = len(pts), B = 1) in fp32, tf32 and bf16, against the CPU engine, within
// enginetest.LossTols.
func compareWithCPU(t *testing.T, p *engine.Problem, pts []engine.Point) {
	t.Helper()
	ce, err := cpu.New(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ce.Evaluate(context.Background(), pts, 0, p.Data.N)
	if err != nil {
		t.Fatal(err)
	}
	for _, prec := range []string{"fp32", "tf32", "bf16"} {
		start := time.Now()
		e, err := newEngine(newFake(1<<34), 0, p, Options{Precision: prec, Points: len(pts), Images: 1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Evaluate(context.Background(), pts, 0, p.Data.N)
		if err != nil {
			t.Fatal(err)
		}
		for k := range pts {
			rel := math.Abs(got[k].Loss-want[k].Loss) / math.Abs(want[k].Loss)
			t.Logf("%s point %v: loss %.7g, CPU %.7g, rel err %.2g (%.1fs)", prec, pts[k], got[k].Loss, want[k].Loss, rel, time.Since(start).Seconds())
			if !(rel <= enginetest.LossTols[prec]) {
				t.Errorf("%s point %v: loss %.8g, CPU %.8g (rel err %.2g > %g)", prec, pts[k], got[k].Loss, want[k].Loss, rel, enginetest.LossTols[prec])
			}
		}
	}
}

// torchvisionProblem loads an exported network with its own weights, two synthetic images and
// filter-normalised directions over every entry.
func torchvisionProblem(t *testing.T, onnxFile string) *engine.Problem {
	return torchvisionProblemN(t, onnxFile, 2)
}

// torchvisionProblemN is torchvisionProblem with the given number of images.
func torchvisionProblemN(t *testing.T, onnxFile string, images int) *engine.Problem {
	n, w, err := model.LoadONNX(onnxFile, "")
	if err != nil {
		t.Fatal(err)
	}
	o := direction.Options{Norm: "filter", Ignore: "none", DirType: "weights"}
	dx, dy := direction.Random(n, o.DirType, 5, 0), direction.Random(n, o.DirType, 5, 1)
	direction.Normalize(dx, w, o)
	direction.Normalize(dy, w, o)
	in := n.Input()
	p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, in[0], in[1], in[2], n.Classes, 5))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
