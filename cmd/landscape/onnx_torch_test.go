package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/data"
	"landscape/internal/enginetest"
	"landscape/surface"
)

// The ONNX path against PyTorch 1.13: networks outside the zoo (tools/onnx_nets.py) exported by
// tools/torch2onnx.py, scanned from the .onnx file, and evaluated by PyTorch at the same points
// with the directions the scan saved: losses within 2e-4 relative, accuracy within one example.

// exportONNX builds network net with seed's weights in PyTorch and writes it as ONNX and as a
// safetensors state_dict.
func exportONNX(t *testing.T, dir, net string, seed int, extra ...string) (onnxFile, weights string) {
	t.Helper()
	base := filepath.Join(dir, fmt.Sprintf("%s_%d", strings.ReplaceAll(net, ":", "_"), seed))
	onnxFile, weights = base+".onnx", base+".safetensors"
	runTool(t, "torch_onnx_ref.py", append([]string{"export", "--net", net, "--seed", fmt.Sprint(seed), "--onnx", onnxFile, "--weights", weights}, extra...)...)
	return onnxFile, weights
}

// compareTorchONNX evaluates every point of surface file npz in PyTorch (tools/torch_onnx_ref.py:
// network net, state_dict weights, the scan's saved directions) and checks the scan against it
// (checkTorch).
func compareTorchONNX(t *testing.T, npz, net, weights, dirs, dataSpec string) {
	t.Helper()
	checkTorch(t, net, npz, func(sf *surface.Surface, points, res string) {
		runTool(t, "torch_onnx_ref.py", "eval", "--net", net, "--weights", weights, "--dirs", dirs, "--data", dataSpec,
			"--split", sf.Split, "--points="+points, "--out", res)
	})
}

// TestTorchONNX2D: 2D filter-normalised surfaces of a CIFAR ResNet-18, a DenseNet-BC, a
// MobileNetV2 and a VGG with dropout, on CIFAR-10-format files; weights from the ONNX file's
// initializers, except for ResNet-18, whose come from its state_dict (--weights, with
// num_batches_tracked). The VGG's last batch norm is untrained, so its export has Identity
// nodes for the merged initializers.
func TestTorchONNX2D(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 200)
	for _, net := range []string{"resnet18", "densenet", "mobilenetv2", "vgg"} {
		t.Run(net, func(t *testing.T) {
			var extra []string
			if net == "vgg" {
				extra = append(extra, "--keep-last-bn")
			}
			onnxFile, w := exportONNX(t, dir, net, 1, extra...)
			out, dirs := filepath.Join(dir, net+".npz"), filepath.Join(dir, net+"_dirs.safetensors")
			args := []string{"scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:3", "--y", "-1:1:3",
				"--out", out, "--save-dirs", dirs, "--device", "auto", "--quiet"}
			if net == "resnet18" {
				args = append(args, "--weights", w)
			}
			mustRun(t, args...)
			compareTorchONNX(t, out, net, w, dirs, spec)
		})
	}
}

// TestTorchONNXStates1D: the 1D interpolation between two solutions with the batch-norm
// statistics interpolated too (--dir-type states), on the pre-activation DenseNet (batch norms
// standing alone) and MobileNetV2.
func TestTorchONNXStates1D(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 200)
	for _, net := range []string{"densenet", "mobilenetv2"} {
		t.Run(net, func(t *testing.T) {
			onnxFile, w1 := exportONNX(t, dir, net, 1)
			_, w2 := exportONNX(t, dir, net, 2)
			out, dirs := filepath.Join(dir, net+".npz"), filepath.Join(dir, net+"_dirs.safetensors")
			mustRun(t, "scan", "--model", onnxFile, "--weights", w1, "--weights2", w2, "--data", spec, "--split", "test",
				"--x", "-0.5:1.5:5", "--dir-type", "states", "--out", out, "--save-dirs", dirs, "--quiet")
			compareTorchONNX(t, out, net, w1, dirs, spec)
		})
	}
}

// TestTorchONNXZooIdentical: a zoo network (resnet20) exported to ONNX compiles to the same plan
// as the built-in one, so its scan with the same directions is the same, bit for bit.
func TestTorchONNXZooIdentical(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 50)
	onnxFile, w := exportONNX(t, dir, "zoo:resnet20", 3)
	zoo, dirs := filepath.Join(dir, "zoo.npz"), filepath.Join(dir, "dirs.safetensors")
	mustRun(t, "scan", "--model", "resnet20", "--weights", w, "--data", spec, "--split", "test", "--x", "-1:1:3", "--y", "-1:1:2",
		"--out", zoo, "--save-dirs", dirs, "--device", "cpu", "--quiet")
	graph := filepath.Join(dir, "onnx.npz")
	mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:3", "--y", "-1:1:2",
		"--dirs", dirs, "--norm", "none", "--out", graph, "--device", "cpu", "--quiet") // the saved directions, as they are
	a, err := surface.Load(zoo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := surface.Load(graph)
	if err != nil {
		t.Fatal(err)
	}
	for k := range a.Len() {
		if a.Loss[k] != b.Loss[k] || a.Acc[k] != b.Acc[k] {
			t.Errorf("point %d: zoo loss %v acc %v, ONNX %v %v", k, a.Loss[k], a.Acc[k], b.Loss[k], b.Acc[k])
		}
	}
}

// TestTorchONNXNPZNonSquare: the DenseNet and the MobileNetV2 (adaptive pooling) exported for
// 3×24×36 images and scanned on npz files numpy writes: uint8 x_test/y_test (compressed) and
// float32 x/y.
func TestTorchONNXNPZNonSquare(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	script := `import numpy as np, sys
r = np.random.default_rng(5)
x = r.integers(0, 256, (120, 3, 24, 36), dtype=np.uint8)
y = r.integers(0, 10, 120)
np.savez_compressed(sys.argv[1], x_test=x, y_test=y, x_train=x[:10], y_train=y[:10])
np.savez(sys.argv[2], x=(x.astype(np.float32) - 120) / 60, y=y.astype(np.uint8))`
	u8, f32 := filepath.Join(dir, "u8.npz"), filepath.Join(dir, "f32.npz")
	runPython(t, "-c", script, u8, f32)
	for _, c := range []struct{ net, data string }{{"densenet", "npz:" + u8}, {"mobilenetv2", "npz:" + f32}} {
		t.Run(c.net, func(t *testing.T) {
			onnxFile, w := exportONNX(t, dir, c.net, 4, "--shape", "3,24,36")
			out, dirs := filepath.Join(dir, c.net+".npz"), filepath.Join(dir, c.net+"_dirs.safetensors")
			mustRun(t, "scan", "--model", onnxFile, "--data", c.data, "--split", "test", "--x", "-1:1:3", "--y", "-1:1:2",
				"--out", out, "--save-dirs", dirs, "--quiet")
			compareTorchONNX(t, out, c.net, w, dirs, c.data)
		})
	}
}

// TestONNXCommandLine: without PyTorch, an ONNX graph (written by enginetest) through scan
// on non-square images (weights from the file; a changed file is not resumed), bench, and
// train's refusal.
func TestONNXCommandLine(t *testing.T) {
	dir := t.TempDir()
	b := enginetest.NewGraph(-1, 1, 6, 10) // MNIST-like 6x10 images
	x := b.Node("Conv", []string{"input", b.Init("conv.weight", false, 4, 1, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	x = b.Node("GlobalAveragePool", []string{b.Node("Relu", []string{b.BN("bn", x, 4)})})
	x = b.Node("Gemm", []string{b.Node("Flatten", []string{x}), b.Init("fc.weight", false, 10, 4), b.Init("fc.bias", false, 10)}, enginetest.AInt("transB", 1))
	graph := filepath.Join(dir, "net.onnx")
	if err := b.Write(graph, x, 10); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	img, lab := make([]uint8, 30*60), make([]uint8, 30)
	for i := range img {
		img[i] = uint8(r.IntN(256))
	}
	for i := range lab {
		lab[i] = uint8(r.IntN(10))
	}
	if err := data.WriteIDX(dir, "test", img, lab, 30, 6, 10, false); err != nil {
		t.Fatal(err)
	}
	spec := "mnist:" + dir
	out := filepath.Join(dir, "s.npz")
	mustRun(t, "scan", "--model", graph, "--data", spec, "--split", "test", "--x", "-1:1:3", "--out", out, "--quiet")
	sf, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for k := range sf.Len() {
		if !sf.Computed[k] || math.IsNaN(sf.Loss[k]) {
			t.Errorf("point %d not computed: %v", k, sf.Loss[k])
		}
	}
	// Other weights in the graph file: the settings differ (weights_sha256), no mix.
	b.G.Initializer[0].FloatData[0] += 1
	if err := b.Write(graph, x, 10); err != nil {
		t.Fatal(err)
	}
	if _, e, code := run(t, "scan", "--model", graph, "--data", spec, "--split", "test", "--x", "-1:1:3", "--out", out, "--quiet"); code == 0 || !strings.Contains(e, "other settings") {
		t.Errorf("changed graph file resumed (exit %d): %s", code, e)
	}
	if _, e, code := run(t, "train", "--model", graph, "--data", spec, "--out", filepath.Join(dir, "t.safetensors")); code == 0 ||
		!strings.Contains(e, "zoo networks only") {
		t.Errorf("train on a graph (exit %d): %s", code, e)
	}
	if _, e, code := run(t, "scan", "--model", "resnet8", "--data", spec, "--split", "test", "--x", "-1:1:3", "--out", filepath.Join(dir, "z.npz")); code == 0 ||
		!strings.Contains(e, "--weights is required for zoo network resnet8") {
		t.Errorf("zoo network without --weights (exit %d): %s", code, e)
	}
	if o := mustRun(t, "bench", "--model", graph, "--images", "8", "--points", "2", "--device", "cpu"); !strings.Contains(o, "img_per_s=") {
		t.Errorf("bench: %s", o)
	}
}

// TestTorchONNXFusedExportWarns: PyTorch's default export (TrainingMode.EVAL) fuses batch norm
// into the convolutions; the scan still runs, and warns with the export call that keeps it.
func TestTorchONNXFusedExportWarns(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 20)
	onnxFile, _ := exportONNX(t, dir, "resnet18", 1, "--fuse-bn")
	o := mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:2",
		"--out", filepath.Join(dir, "s.npz"), "--quiet")
	if !strings.Contains(o, "onnx::Conv_") || !strings.Contains(o, "batch norm was fused") || !strings.Contains(o, "TrainingMode.PRESERVE") {
		t.Errorf("no fused-export warning:\n%s", o)
	}
}

// TestTorchONNXOpsets: exports at opsets 11 (the VGG: Unsqueeze axes as an attribute) and 17
// (the MobileNetV2: Clip bounds as inputs) read the same way as opset 13's.
func TestTorchONNXOpsets(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 50)
	for _, c := range []struct{ net, opset string }{{"vgg", "11"}, {"mobilenetv2", "17"}} {
		{
			net, opset := c.net, c.opset
			t.Run(net+"_opset"+opset, func(t *testing.T) {
				sub := filepath.Join(dir, net+opset)
				os.Mkdir(sub, 0o755)
				onnxFile, w := exportONNX(t, sub, net, 2, "--opset", opset)
				out, dirs := filepath.Join(sub, "s.npz"), filepath.Join(sub, "d.safetensors")
				mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:3",
					"--out", out, "--save-dirs", dirs, "--quiet")
				compareTorchONNX(t, out, net, w, dirs, spec)
			})
		}
	}
}

// TestTorchONNXSmallNets: the rest of the operator list as ordinary PyTorch code writes it
// (tools/onnx_nets.py: lenet, inception, preact, matmul), 1D filter-normalised lines.
func TestTorchONNXSmallNets(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 100)
	for _, net := range []string{"lenet", "inception", "preact", "matmul"} {
		t.Run(net, func(t *testing.T) {
			onnxFile, w := exportONNX(t, dir, net, 3)
			out, dirs := filepath.Join(dir, net+".npz"), filepath.Join(dir, net+"_dirs.safetensors")
			mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:3",
				"--out", out, "--save-dirs", dirs, "--quiet")
			compareTorchONNX(t, out, net, w, dirs, spec)
		})
	}
}
