package gpu

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/internal/testenv"
	"landscape/model"
)

// TestEngineViTGraphsOnKernelModels runs the conformance suite over the vision-transformer test
// graphs (enginetest.ViTGraphCases: patch embedding, class token, position embedding, LayerNorm,
// heads split from a joint q/k/v projection, Q·Kᵀ, Softmax, A·V, GELU MLP, class-token selection
// or mean pooling; batch-first and sequence-first) on the engine driving the Go kernel models,
// in fp32, tf32 and bf16 against enginetest.LossTols, with several weight sets and images per
// launch.
func TestEngineViTGraphsOnKernelModels(t *testing.T) {
	for _, o := range []Options{{}, {Points: 3, Images: 2}, {Kernels: "reference", Points: 1, Images: 3},
		{Precision: "tf32", Points: 3, Images: 2}, {Precision: "bf16", Points: 2, Images: 3}, {Precision: "bf16"}} {
		prec := o.Precision
		if prec == "" {
			prec = "fp32"
		}
		t.Run(fmt.Sprintf("%s_%s_K%d_B%d", o.Kernels, prec, o.Points, o.Images), func(t *testing.T) {
			enginetest.RunViTGraphsPrecision(t, func(p *engine.Problem) (engine.Engine, error) {
				return newEngine(newFake(1<<30), 0, p, o)
			}, prec)
		})
	}
}

// TestEngineSwinGraphsOnKernelModels runs the conformance suite over the Swin block test graph
// (enginetest.SwinGraphCases: windows padded with zeros, rolled, partitioned; Q·Kᵀ and A·V per
// window; the relative position bias gathered from its table per score; the shifted-window
// mask; patch merging) on the engine driving the Go kernel models, in fp32, tf32 and bf16
// against enginetest.LossTols, with several weight sets and images per launch.
func TestEngineSwinGraphsOnKernelModels(t *testing.T) {
	for _, o := range []Options{{}, {Points: 3, Images: 2}, {Kernels: "reference", Points: 1, Images: 3},
		{Precision: "tf32", Points: 3, Images: 2}, {Precision: "bf16", Points: 2, Images: 3}} {
		prec := o.Precision
		if prec == "" {
			prec = "fp32"
		}
		t.Run(fmt.Sprintf("%s_%s_K%d_B%d", o.Kernels, prec, o.Points, o.Images), func(t *testing.T) {
			enginetest.RunSwinGraphsPrecision(t, func(p *engine.Problem) (engine.Engine, error) {
				return newEngine(newFake(1<<30), 0, p, o)
			}, prec)
		})
	}
}

// vitGPUNets are the vision transformers of cmd/landscape's TestViTONNX (tools/onnx_vit.py:
// torchvision's VisionTransformer, small, with nn.MultiheadAttention's sequence-first export;
// TinyViTs with batch-first attention: pre-norm, post-norm, DeiT's distillation token, layer
// scale with tanh-GELU, mean pooling, conv-stem hybrid), at opset 17 (LayerNormalization) and,
// for two, 13 (the LayerNorm pattern), on 32×32 images.
var vitGPUNets = []struct {
	name  string
	opset int
}{
	{"vit_tv", 13}, {"vit_tv", 17}, {"vit_pre", 13}, {"vit_pre", 17}, {"vit_post", 17}, {"vit_deit", 17},
	{"vit_scale", 17}, {"vit_mean", 17}, {"vit_hybrid", 17},
}

// TestViTOnKernelModels: those networks, exported by tools/torch_onnx_ref.py (random weights,
// class tokens, position embeddings and LayerNorms), run on the GPU engine driving the Go
// kernel models in fp32, tf32 and bf16, against the CPU engine at two points of a
// filter-normalised plane (2 images, K = 2, B = 1: every launch over several weight sets),
// within enginetest.LossTols.
func TestViTOnKernelModels(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy")
	if testing.Short() {
		t.Skip("exports vision transformers (-short)")
	}
	dir := t.TempDir()
	// One Python process exports them all, as torch_onnx_ref.py export does one, so that
	// PyTorch is imported once.
	script := "import sys, torch\nsys.path.insert(0, '../tools')\nimport onnx_nets, torch2onnx\ntorch.set_num_threads(1)\n" +
		"for name, opset, f in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):\n" +
		"    net = onnx_nets.randomize(onnx_nets.build(name, 3, 10), 3, False)\n" +
		"    torch2onnx.export(net, f, [3, 32, 32], int(opset))\n" +
		"    torch2onnx.save_weights(net, f + '.safetensors')\n"
	args := []string{"-c", script}
	file := func(i int) string {
		return filepath.Join(dir, fmt.Sprintf("%s_%d.onnx", vitGPUNets[i].name, vitGPUNets[i].opset))
	}
	for i, c := range vitGPUNets {
		args = append(args, c.name, fmt.Sprint(c.opset), file(i))
	}
	if out, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for i, c := range vitGPUNets {
		t.Run(fmt.Sprintf("%s_opset%d", c.name, c.opset), func(t *testing.T) {
			checkOnKernelModels(t, torchvisionProblem(t, file(i), 2))
		})
	}
}

// TestViTLaunches: the vision-transformer test graphs run every kernel of attn.cu and bmm.cu
// (the product kernel of each precision: the fp32 loop, the tf32 and bf16 MMA kernels) and
// arith with an operand per element (the position embedding).
func TestViTLaunches(t *testing.T) {
	cases, err := enginetest.ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(1 << 30)
	perElement := false
	for _, c := range cases {
		p, err := enginetest.Setup(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, prec := range Precisions {
			e, err := newEngine(f, 0, p, Options{Precision: prec, Points: 2, Images: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Evaluate(context.Background(), enginetest.Points[:2], 0, 3); err != nil {
				t.Fatal(err)
			}
			for i, ll := range e.layout.Layers {
				pl := &p.Plan.Layers[i]
				perElement = perElement || (pl.Kind == model.OpArith && vectorMode(pl, ll.Vector) == 2)
			}
		}
	}
	for _, name := range []string{"softmax_heads", "cat_tokens", "gather_pixels", "matmul_heads", "matmul_heads_tf32", "matmul_heads_bf16"} {
		if f.launches[name] == 0 {
			t.Errorf("%s never launched", name)
		}
	}
	if !perElement {
		t.Error("no arith layer with an operand per element")
	}
}

// TestSwinTOnKernelModels: torchvision's swin_t at 64×64 (windows padded to 7×7, shifted
// windows with their mask, random relative position bias tables gathered per score, patch
// merging), exported by tools/torch_onnx_ref.py at opset 17, on the GPU engine driving the Go
// kernel models in fp32, tf32 and bf16 against the CPU engine at two points of a
// filter-normalised plane (1 image, K = 2, B = 1), as checkOnKernelModels compares. The Go models
// of the convolution kernels (swin_t's Linears) take most of its time: one image keeps it to
// about a minute.
func TestSwinTOnKernelModels(t *testing.T) {
	py := testenv.Python(t, "torch", "torchvision", "numpy")
	if testing.Short() {
		t.Skip("exports swin_t (-short)")
	}
	onnxFile := filepath.Join(t.TempDir(), "swin_t_17.onnx")
	cmd := exec.Command(py, "../tools/torch_onnx_ref.py", "export", "--net", "tv:swin_t", "--seed", "3",
		"--onnx", onnxFile, "--weights", onnxFile+".safetensors", "--hw", "64", "--opset", "17")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	checkOnKernelModels(t, torchvisionProblem(t, onnxFile, 1))
}
