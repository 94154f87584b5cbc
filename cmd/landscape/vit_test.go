package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"landscape/internal/testenv"
)

// vitNets are the vision transformers of tools/onnx_vit.py: torchvision's VisionTransformer at a
// small size (its nn.MultiheadAttention export) and TinyViT variants (batch-first attention):
// pre- and post-norm blocks, a distillation token, layer scale with tanh-GELU, mean pooling and
// a conv-stem hybrid.
var vitNets = []string{"vit_tv", "vit_pre", "vit_post", "vit_deit", "vit_scale", "vit_mean", "vit_hybrid"}

// TestViTONNX: each vision transformer (random class tokens, heads, layer norms and position
// embeddings), exported at opsets 13 (LayerNorm written out) and 17 (LayerNormalization),
// scans from its ONNX file: a 3×3 filter-normalised surface over 4 random 32×32 images within
// 2e-4 relative loss of PyTorch's float32 at every point.
func TestViTONNX(t *testing.T) {
	testenv.Python(t, "torch", "torchvision", "numpy")
	dir := t.TempDir()
	data := filepath.Join(dir, "d32.npz")
	runPython(t, "-c", `import numpy as np, sys
r = np.random.default_rng(5)
np.savez(sys.argv[1], x=r.normal(0, 1, (4, 3, 32, 32)).astype(np.float32), y=r.integers(0, 10, 4).astype(np.uint8))`, data)
	spec := "npz:" + data
	for _, net := range vitNets {
		for _, opset := range []int{13, 17} {
			t.Run(fmt.Sprintf("%s_opset%d", net, opset), func(t *testing.T) {
				base := filepath.Join(dir, fmt.Sprintf("%s_%d", net, opset))
				onnxFile, w := base+".onnx", base+".safetensors"
				runTool(t, "torch_onnx_ref.py", "export", "--net", net, "--seed", "3", "--onnx", onnxFile, "--weights", w,
					"--hw", "32", "--opset", fmt.Sprint(opset))
				out, dirs := base+".npz", base+"_dirs.safetensors"
				mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--x", "-1:1:3", "--y", "-1:1:3",
					"--out", out, "--save-dirs", dirs, "--device", "auto", "--quiet")
				compareTorchONNX(t, out, net, w, dirs, spec)
			})
		}
	}
}

// TestTorchvisionTransformersONNX: torchvision's swin_t at 64×64 (its windows padded, shifted
// windows with their attention mask, random relative position bias tables, patch merging) on
// a 3×3 surface, and vit_b_16 at 224×224 (86M parameters; random class token and head) on
// the four corners of a 2×2 one, each over 2 random images and exported at opsets 13 and 17:
// every point within 2e-4 relative loss of PyTorch's float32.
func TestTorchvisionTransformersONNX(t *testing.T) {
	testenv.Python(t, "torch", "torchvision", "numpy")
	dir := t.TempDir()
	data := map[int]string{64: filepath.Join(dir, "d64.npz"), 224: filepath.Join(dir, "d224.npz")}
	runPython(t, "-c", `import numpy as np, sys
r = np.random.default_rng(11)
for hw, path in ((64, sys.argv[1]), (224, sys.argv[2])):
    np.savez(path, x=r.normal(0, 1, (2, 3, hw, hw)).astype(np.float32), y=r.integers(0, 10, 2).astype(np.uint8))`, data[64], data[224])
	for _, c := range []struct {
		name string
		hw   int
		grid string
	}{{"swin_t", 64, "-1:1:3"}, {"vit_b_16", 224, "-1:1:2"}} {
		for _, opset := range []int{13, 17} {
			t.Run(fmt.Sprintf("%s_opset%d", c.name, opset), func(t *testing.T) {
				net, spec := "tv:"+c.name, "npz:"+data[c.hw]
				base := filepath.Join(dir, fmt.Sprintf("%s_%d", c.name, opset))
				onnxFile, w := base+".onnx", base+".safetensors"
				runTool(t, "torch_onnx_ref.py", "export", "--net", net, "--seed", "3", "--onnx", onnxFile, "--weights", w,
					"--hw", fmt.Sprint(c.hw), "--opset", fmt.Sprint(opset))
				out, dirs := base+".npz", base+"_dirs.safetensors"
				mustRun(t, "scan", "--model", onnxFile, "--data", spec, "--x", c.grid, "--y", c.grid,
					"--out", out, "--save-dirs", dirs, "--device", "auto", "--quiet")
				compareTorchONNX(t, out, net, w, dirs, spec)
			})
		}
	}
}
