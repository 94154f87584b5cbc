package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"landscape/internal/testenv"
)

// torchvisionNets are torchvision 0.14's CNN classifiers (tools/onnx_nets.py TORCHVISION) and the
// opsets each is exported at here: 13 for all, 17 too where the export differs (LayerNormalization,
// HardSwish as one op; TestTorchONNXExtOps covers both opsets of every new operator). Input 64×64; 75×75 for
// inception_v3 (its smallest); 224×224 for vgg11_bn and alexnet, whose AdaptiveAvgPool2d to 7×7
// (6×6) PyTorch exports only when its input is a multiple of that, and for resnet18, whose 3×3
// convolutions at 56…7 pixels the AVX-512 engine computes by Winograd's F(4×4, 3×3).
var torchvisionNets = []struct {
	name   string
	opsets []int
}{
	{"resnet18", []int{13}}, {"resnet50", []int{13}}, {"resnext50_32x4d", []int{13}}, {"wide_resnet50_2", []int{13}},
	{"vgg11_bn", []int{13}}, {"alexnet", []int{13}}, {"squeezenet1_1", []int{13}}, {"densenet121", []int{13}},
	{"googlenet", []int{13}}, {"inception_v3", []int{13}}, {"shufflenet_v2_x1_0", []int{13}},
	{"mobilenet_v2", []int{13}}, {"mobilenet_v3_small", []int{13, 17}}, {"mnasnet0_5", []int{13}},
	{"efficientnet_b0", []int{13}}, {"regnet_y_400mf", []int{13}}, {"regnet_x_400mf", []int{13}},
	{"convnext_tiny", []int{13, 17}},
}

// TestTorchvisionONNX: every torchvision CNN classifier (weights=None, 10 classes, random
// batch-norm statistics, layer-norm parameters and layer scales), exported with the README's
// call, scans from its ONNX file: a 3×3 filter-normalised surface over 2 random images within
// 2e-4 relative loss of PyTorch's float32 at every point (20 subtests: 14 minutes on the
// 2-core development machine at load 6–30, a third of it vgg11_bn, alexnet and wide_resnet50_2;
// 8.9 GB peak memory).
func TestTorchvisionONNX(t *testing.T) {
	testenv.Python(t, "torch", "torchvision", "numpy")
	dir := t.TempDir()
	script := `import numpy as np, sys
r = np.random.default_rng(9)
for hw, n, path in ((64, 2, sys.argv[1]), (75, 2, sys.argv[2]), (224, 2, sys.argv[3])):
    np.savez(path, x=r.normal(0, 1, (n, 3, hw, hw)).astype(np.float32), y=r.integers(0, 10, n).astype(np.uint8))`
	data := map[int]string{64: filepath.Join(dir, "d64.npz"), 75: filepath.Join(dir, "d75.npz"), 224: filepath.Join(dir, "d224.npz")}
	runPython(t, "-c", script, data[64], data[75], data[224])
	for _, c := range torchvisionNets {
		for _, opset := range c.opsets {
			t.Run(fmt.Sprintf("%s_opset%d", c.name, opset), func(t *testing.T) {
				hw := map[string]int{"inception_v3": 75, "vgg11_bn": 224, "alexnet": 224, "resnet18": 224}[c.name]
				if hw == 0 {
					hw = 64
				}
				spec := "npz:" + data[hw]
				net := "tv:" + c.name
				base := filepath.Join(dir, fmt.Sprintf("%s_%d", c.name, opset))
				onnxFile, w := base+".onnx", base+".safetensors"
				runTool(t, "torch_onnx_ref.py", "export", "--net", net, "--seed", "3", "--onnx", onnxFile, "--weights", w,
					"--hw", fmt.Sprint(hw), "--opset", fmt.Sprint(opset))
				out, dirs := base+".npz", base+"_dirs.safetensors"
				mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--x", "-1:1:3", "--y", "-1:1:3",
					"--out", out, "--save-dirs", dirs, "--quiet")
				compareTorchONNX(t, out, net, w, dirs, spec)
			})
		}
	}
}

// TestTorchONNXExtOps: a small net with every operator of torchvision's newer CNNs, also in the
// forms torchvision does not export (tools/onnx_nets.py ExtOps: LayerNorm written out on NCHW,
// GELU's tanh form, arithmetic with constants, chunk, a strided channel slice), at opsets 13
// and 17, against PyTorch on a 3×3 surface.
func TestTorchONNXExtOps(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 40)
	for _, opset := range []string{"13", "17"} {
		t.Run("opset"+opset, func(t *testing.T) {
			onnxFile, w := exportONNX(t, dir, "extops", 2, "--opset", opset)
			out, dirs := filepath.Join(dir, opset+".npz"), filepath.Join(dir, opset+"_dirs.safetensors")
			mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--split", "test", "--x", "-1:1:3", "--y", "-1:1:3",
				"--out", out, "--save-dirs", dirs, "--quiet")
			compareTorchONNX(t, out, "extops", w, dirs, spec)
		})
	}
}
