package train

import (
	"path/filepath"
	"testing"

	"landscape/internal/testenv"
	"landscape/model"
)

// Hessian-vector products on the small vision transformers of tools/onnx_vit.py exported to
// ONNX equal torch.autograd's double backward on the PyTorch modules over four CIFAR-format
// images, with respect to every parameter (patch embedding, class, distillation tokens and
// position embedding, q/k/v, LayerNorm γ and β, layer scales, heads): torchvision's
// VisionTransformer (sequence-first nn.MultiheadAttention) and the timm-style pre-norm,
// post-norm, DeiT (distillation token), layer scale with tanh-GELU, mean-pooling and conv-stem
// hybrid variants, and a small torchvision SwinTransformer (windows padded, shifted with their
// mask, relative position bias tables, patch merging); to 1e-9 relative in float64 and 1e-4 in
// float32.
func TestHVPViTMatchesPyTorch(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy", "scipy", "onnx")
	dir := t.TempDir()
	spec, set := writeCIFAR(t, dir, 4)
	for _, net := range []string{"vit_tv", "vit_pre", "vit_post", "vit_deit", "vit_scale", "vit_mean", "vit_hybrid", "swin_tiny"} {
		t.Run(net, func(t *testing.T) {
			onnxFile, wFile := filepath.Join(dir, net+".onnx"), filepath.Join(dir, net+".safetensors")
			runPy(t, py, "../tools/torch_onnx_ref.py", "export", "--net", net, "--seed", "5", "--onnx", onnxFile, "--weights", wFile)
			n, w, err := model.LoadONNX(onnxFile, "")
			if err != nil {
				t.Fatal(err)
			}
			h64, err := NewHVP[float64](n, w, set, 3, 2)
			if err != nil {
				t.Fatal(err)
			}
			h32, err := NewHVP[float32](n, w, set, 4, 1)
			if err != nil {
				t.Fatal(err)
			}
			v := randVec(43, h64.Dim())
			ref := torchHVPByName(t, py, h64, "onnx:"+net, wFile, spec, "test", [][]float64{v})
			hv64, hv32 := make([]float64, h64.Dim()), make([]float64, h64.Dim())
			h64.Apply(v, hv64, nil)
			h32.Apply(v, hv32, nil)
			e64, e32 := relErr(hv64, ref.hv[0]), relErr(hv32, ref.hv[0])
			t.Logf("%d parameters, ‖H·v‖ %.4g: relative error float64 %.2g, float32 %.2g", h64.Dim(), norm2(ref.hv[0]), e64, e32)
			if !(e64 < 1e-9) || !(e32 < 1e-4) {
				t.Errorf("H·v differs from PyTorch's by %.3g (float64), %.3g (float32) relative", e64, e32)
			}
		})
	}
}
