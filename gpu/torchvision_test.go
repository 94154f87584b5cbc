package gpu

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/gpu/remote"
	"landscape/internal/enginetest"
	"landscape/internal/testenv"
	"landscape/model"
)

// torchvisionGPUNets are torchvision 0.14's CNN classifiers at the opsets of cmd/landscape's
// TestTorchvisionONNX (which checks each against PyTorch on the CPU engine; opset 17 too where
// the export differs: LayerNormalization, HardSwish as one op), on the smallest input each
// takes: 32×32 for the nets of stride 32 (a 1×1 map before the global pooling); 75×75 for
// inception_v3 (its smallest); 224×224 for vgg11_bn and 223×223 for alexnet, whose
// AdaptiveAvgPool2d to 7×7 (6×6) PyTorch exports only when its input is a multiple of that
// (one image for these two: 8 and 0.7 GMAC each); and the vision transformer vit_b_16 at
// its 224×224 (one image: 86M parameters, 17.6 GMAC; its operators are those of the small
// ViTs of vit_test.go, here at their real sizes: 197 tokens, 12 heads of 64).
var torchvisionGPUNets = []struct {
	name              string
	opset, hw, images int
}{
	{"resnet18", 13, 32, 2}, {"resnet50", 13, 32, 2}, {"resnext50_32x4d", 13, 32, 2}, {"wide_resnet50_2", 13, 32, 2},
	{"vgg11_bn", 13, 224, 1}, {"alexnet", 13, 223, 1}, {"squeezenet1_1", 13, 32, 2}, {"densenet121", 13, 32, 2},
	{"googlenet", 13, 32, 2}, {"inception_v3", 13, 75, 2}, {"shufflenet_v2_x1_0", 13, 32, 2},
	{"mobilenet_v2", 13, 32, 2}, {"mobilenet_v3_small", 13, 32, 2}, {"mobilenet_v3_small", 17, 32, 2},
	{"mnasnet0_5", 13, 32, 2}, {"efficientnet_b0", 13, 32, 2}, {"regnet_y_400mf", 13, 32, 2},
	{"regnet_x_400mf", 13, 32, 2}, {"convnext_tiny", 13, 32, 2}, {"convnext_tiny", 17, 32, 2},
	{"vit_b_16", 17, 224, 1},
}

// TestTorchvisionOnKernelModels: those networks, exported by tools/torch_onnx_ref.py (random
// weights and batch-norm statistics; one Python process for all), run on the GPU engine driving
// the Go kernel models in fp32, tf32 and bf16, against the CPU engine at two points of a
// filter-normalised plane (K = 2, B = 1: every launch over several weight sets, and over two
// batches where there are two images), within enginetest.LossTols (checkOnKernelModels); and
// the GPU worker accepts each of them.
func TestTorchvisionOnKernelModels(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy")
	if testing.Short() {
		t.Skip("exports torchvision networks (-short)")
	}
	dir := t.TempDir()
	x := &torchExporter{py: py, stderr: filepath.Join(dir, "exporter.log")}
	defer x.close()
	for _, c := range torchvisionGPUNets {
		t.Run(fmt.Sprintf("%s_opset%d", c.name, c.opset), func(t *testing.T) {
			onnxFile := filepath.Join(dir, fmt.Sprintf("%s_%d.onnx", c.name, c.opset)) // the weights are its initializers
			defer os.Remove(onnxFile)
			start := time.Now()
			if err := x.export(fmt.Sprintf("--net tv:%s --seed 3 --onnx %q --hw %d --opset %d", c.name, onnxFile, c.hw, c.opset)); err != nil {
				t.Fatal(err)
			}
			t.Logf("export: %.1fs", time.Since(start).Seconds())
			checkOnKernelModels(t, torchvisionProblem(t, onnxFile, c.images))
		})
	}
}

// torchExporter is one `tools/torch_onnx_ref.py exports` process, started by the first export:
// PyTorch is imported once for all the networks, and only the networks of the subtests that
// run are exported.
type torchExporter struct {
	py, stderr string // the Python interpreter; the file of the process's standard error
	cmd        *exec.Cmd
	in         io.WriteCloser
	out        *bufio.Scanner
}

// export exports one network (args: the arguments of torch_onnx_ref.py export).
func (x *torchExporter) export(args string) error {
	if x.cmd == nil {
		errFile, err := os.Create(x.stderr)
		if err != nil {
			return err
		}
		defer errFile.Close() // the process has its own descriptor
		x.cmd = exec.Command(x.py, "../tools/torch_onnx_ref.py", "exports")
		x.cmd.Stderr = errFile
		if x.in, err = x.cmd.StdinPipe(); err != nil {
			return err
		}
		stdout, err := x.cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := x.cmd.Start(); err != nil {
			return err
		}
		x.out = bufio.NewScanner(stdout)
	}
	if _, err := fmt.Fprintln(x.in, args); err != nil {
		return fmt.Errorf("export %s: %v", args, err)
	}
	var said []string
	for x.out.Scan() {
		switch l := x.out.Text(); {
		case l == "ok":
			return nil
		case strings.HasPrefix(l, "error:"):
			return fmt.Errorf("export %s: %s\n%s", args, l, strings.Join(said, "\n"))
		default:
			said = append(said, l)
		}
	}
	log, _ := os.ReadFile(x.stderr)
	return fmt.Errorf("export %s: the exporter stopped (%v)\n%s\n%s", args, x.out.Err(), strings.Join(said, "\n"), log)
}

// close ends the process (its input closed, it exits).
func (x *torchExporter) close() {
	if x.cmd != nil {
		x.in.Close()
		x.cmd.Wait()
	}
}

// checkOnKernelModels checks that the GPU worker accepts p's network (remote.Supported) and
// compares the GPU engine on the kernel models with the CPU engine at two points of p's plane,
// in each precision: within enginetest.LossTols, or, where the random network amplifies
// rounding beyond them (vgg11_bn on one image at the second point: the CPU engine's own bf16
// error is 5.4e-2), within 5 times the rounding noise of that precision on that network,
// measured as the CPU engine's error in bf16 (the same operand rounding; tf32's unit roundoff
// is 2^-3 of bf16's), the largest over the points. On the 20 exports the GPU engine's error is
// at most 1.85 times that noise where it exceeds LossTols (inception_v3 in bf16: 3.7e-2).
func checkOnKernelModels(t *testing.T, p *engine.Problem) {
	if err := remote.Supported(p.Net); err != nil {
		t.Errorf("the GPU worker refuses the network: %v", err)
	}
	pts := []engine.Point{{A: 0, B: 0}, {A: -0.3, B: 0.7}}
	start := time.Now()
	want, noise := cpuLosses(t, p, pts, false), 0.0
	for k, s := range cpuLosses(t, p, pts, true) {
		noise = max(noise, math.Abs(s.Loss-want[k].Loss)/math.Abs(want[k].Loss))
	}
	t.Logf("CPU engine, fp32 and bf16 (rounding noise %.2g): %.1fs", noise, time.Since(start).Seconds())
	for _, prec := range []string{"fp32", "tf32", "bf16"} {
		start := time.Now()
		e, err := newEngine(newFake(1<<34), 0, p, Options{Precision: prec, Points: 2, Images: 1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Evaluate(context.Background(), pts, 0, p.Data.N)
		if err != nil {
			t.Fatal(err)
		}
		tol := enginetest.LossTols[prec]
		if prec != "fp32" {
			tol = max(tol, 5*noise*map[string]float64{"tf32": 0.125, "bf16": 1}[prec])
		}
		for k := range pts {
			rel := math.Abs(got[k].Loss-want[k].Loss) / math.Abs(want[k].Loss)
			t.Logf("%s point %v: loss %.7g, CPU %.7g, rel err %.2g (%.1fs)", prec, pts[k], got[k].Loss, want[k].Loss, rel, time.Since(start).Seconds())
			if !(rel <= tol) {
				t.Errorf("%s point %v: loss %.8g, CPU %.8g (rel err %.2g > %.2g)", prec, pts[k], got[k].Loss, want[k].Loss, rel, tol)
			}
		}
	}
}

// cpuLosses evaluates pts on the CPU engine, in float32 or with bfloat16 products.
func cpuLosses(t *testing.T, p *engine.Problem, pts []engine.Point, bf16 bool) []engine.Sums {
	e, err := cpu.NewWith(p, cpu.Options{BF16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Evaluate(context.Background(), pts, 0, p.Data.N)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// torchvisionProblem loads an exported network with its own weights, that many synthetic images
// and filter-normalised directions over every entry.
func torchvisionProblem(t *testing.T, onnxFile string, images int) *engine.Problem {
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
