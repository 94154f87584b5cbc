package remote

import (
	"fmt"
	"path/filepath"

	"landscape/model"
)

// Supported reports whether the GPU engine can evaluate network n. Its kernels cover the zoo's
// layers (square convolutions, folded batch norm, residual add, ReLU, ceil-mode max pooling,
// global average pooling, linear layers) and every layer of an imported graph (ONNX, see
// the README's operator table): grouped, depthwise and dilated convolutions with any window and padding,
// batch norm standing alone (any ε), Clip/ReLU6, LeakyReLU, Sigmoid, HardSigmoid, HardSwish,
// SiLU, GELU (Erf form and tanh approximation), Tanh, Add, Mul (squeeze-and-excitation),
// arithmetic by a constant or parameter (scalar or per channel), LayerNorm over channels,
// Concat over channels, channel shuffles, Split and Slice of channels, max and average pooling
// over any window with ceil mode and count_include_pad, GlobalAveragePool/ReduceMean, Gemm and
// MatMul, Linear on the channels of an NHWC activation (gpu/graph_engine.go, graph_ext.go), and
// the layers of vision transformers (gpu/graph_attn.go): Softmax over heads, MatMul of two
// activations, class and distillation tokens, token selection, position embeddings, and Swin's
// windowed attention (products per window, zero-padded pixel maps, the relative position bias
// gathered per score, the shifted-window mask).
//
// What it refuses, naming the layer: a convolution or linear layer that adds the network's
// input itself as its residual (the implicit-GEMM kernels read residuals per weight set, and
// the images are shared by all sets); `--device auto` then computes the network on the CPU.
func Supported(n *model.Net) error {
	plan, err := model.Compile(n)
	if err != nil {
		return err
	}
	imagesIn := true // the plan's input buffer still holds the images (read in place)
	for i, l := range plan.Layers {
		if imagesIn && l.Residual == plan.Input {
			return fmt.Errorf("the GPU engine cannot run %s: layer %d (%s) adds the network input as a residual, which its kernels do not support",
				n.Name, i, l.Kind)
		}
		if l.Out == plan.Input {
			imagesIn = false
		}
	}
	return nil
}

// graphFile returns the absolute path of n's graph file, which the worker loads (it runs on the
// same machine), or "" for a zoo network, which the worker builds by name.
func graphFile(n *model.Net) (string, error) {
	if n.File == "" {
		return "", nil
	}
	return filepath.Abs(n.File)
}

// buildNet returns the network a problem request names: its graph file, or the zoo network
// of its name and configuration.
func buildNet(req *Request) (*model.Net, error) {
	if req.Graph == "" {
		return model.Build(req.Model, req.Config)
	}
	model.WarnOutput = nil // the client has warned; the worker's output is the protocol
	n, _, err := model.LoadONNX(req.Graph, "")
	return n, err
}
