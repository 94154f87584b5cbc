package train

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/data"
	"landscape/internal/testenv"
	"landscape/model"
)

// torchvisionHVPNets are the torchvision 0.14 classifiers TestHVPTorchvision checks; the
// environment variable LANDSCAPE_TV_HVP replaces the list (comma-separated names of
// tools/onnx_nets.py TORCHVISION). Checked by hand on 2026-12-07 the same way, four CIFAR-size
// images, float64 / float32 relative error: mobilenet_v3_small 8e-16 / 3e-7, shufflenet_v2_x1_0
// 5e-16 / 2e-7, efficientnet_b0 1e-15 / 4e-7, convnext_tiny 3e-15 / 8e-7 (130 s: PyTorch's
// double backward of 28 M parameters), regnet_y_400mf 6e-16 / 2e-7, regnet_x_400mf 9e-16 /
// 4e-7, squeezenet1_1 1e-15 / 5e-7, googlenet 5e-16 / 2e-7, mnasnet0_5 1e-15 / 5e-7, resnet18
// 2e-15 / 6e-7; swin_t (windows 7×7 padded from 8×8 tokens, shifted, relative position bias)
// 4e-10 / 8e-7 in 186 s — the float64 error is the export's attention scale 32^-½ written as a
// float32 constant (tools/onnx_vit.py's swin_tiny, heads of width 4, agrees to 4e-16).
var torchvisionHVPNets = []string{"mobilenet_v3_small"}

// Hessian-vector products on torchvision's MobileNetV3-Small (depthwise convolutions,
// HardSwish, squeeze-and-excitation with ReLU and HardSigmoid, batch norm with ε 1e-3, dropout)
// exported to ONNX at 3×32×32 equal torch.autograd's double backward on the torchvision module
// over four CIFAR-format images: to 1e-9 relative in float64 and 1e-4 in float32.
func TestHVPTorchvision(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy", "scipy", "onnx")
	dir := t.TempDir()
	spec, set := writeCIFAR(t, dir, 4)
	nets := torchvisionHVPNets
	if s := os.Getenv("LANDSCAPE_TV_HVP"); s != "" {
		nets = strings.Split(s, ",")
	}
	for _, net := range nets {
		t.Run(net, func(t *testing.T) {
			onnxFile, wFile := filepath.Join(dir, net+".onnx"), filepath.Join(dir, net+".safetensors")
			runPy(t, py, "../tools/torch_onnx_ref.py", "export", "--net", "tv:"+net, "--seed", "3", "--onnx", onnxFile, "--weights", wFile)
			n, w, err := model.LoadONNX(onnxFile, "")
			if err != nil {
				t.Fatal(err)
			}
			h64, err := NewHVP[float64](n, w, set, 4, 2)
			if err != nil {
				t.Fatal(err)
			}
			h32, err := NewHVP[float32](n, w, set, 2, 2)
			if err != nil {
				t.Fatal(err)
			}
			v := randVec(41, h64.Dim())
			ref := torchHVPByName(t, py, h64, "onnx:tv:"+net, wFile, spec, "test", [][]float64{v})
			hv64, hv32 := make([]float64, h64.Dim()), make([]float64, h64.Dim())
			h64.Apply(v, hv64, nil)
			h32.Apply(v, hv32, nil)
			e64, e32 := relErr(hv64, ref.hv[0]), relErr(hv32, ref.hv[0])
			t.Logf("%d parameters: relative error float64 %.2g, float32 %.2g", h64.Dim(), e64, e32)
			if !(e64 < 1e-9) || !(e32 < 1e-4) {
				t.Errorf("H·v differs from PyTorch's by %.3g (float64), %.3g (float32) relative", e64, e32)
			}
		})
	}
}

// writeCIFAR writes n random CIFAR-10 test records (3×32×32, labels 0..9) to dir and returns
// the data spec and the loaded set.
func writeCIFAR(t *testing.T, dir string, n int) (string, *data.Set) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	rec := make([]byte, n*3073) // CIFAR-10 binary records: a label byte, then 3×32×32 pixels
	for i := range rec {
		rec[i] = byte(r.IntN(256))
	}
	for i := range n {
		rec[i*3073] = byte(r.IntN(10))
	}
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := "cifar10:" + dir
	set, err := data.Load(spec, data.Options{Split: "test", Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	return spec, set
}
