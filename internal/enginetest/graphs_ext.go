package enginetest

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"landscape/engine"
	"landscape/onnx"
)

// The test graphs of the operators torchvision's MobileNetV3, ShuffleNetV2, EfficientNet and
// ConvNeXt need beyond GraphCases (per-node batch-norm ε, HardSigmoid, HardSwish, SiLU, GELU,
// Tanh, arithmetic with constants and parameters, channel shuffle, Split, Slice, NHWC
// permutes, LayerNorm in both exports, MatMul per pixel, layer scale). Engines that run them
// call RunExtGraphs; the GPU engine does not yet.

// ExtGraphCases writes the graphs into dir and returns their suite cases.
func ExtGraphCases(dir string) ([]Case, error) {
	var cases []Case
	for _, g := range []struct {
		name  string
		build func() (*GraphBuilder, string, int)
	}{{"mobile", mobileGraph}, {"convnext13", func() (*GraphBuilder, string, int) { return convnextGraph(13) }},
		{"convnext17", func() (*GraphBuilder, string, int) { return convnextGraph(17) }}} {
		b, out, classes := g.build()
		path := filepath.Join(dir, g.name+".onnx")
		if err := b.Write(path, out, classes); err != nil {
			return nil, err
		}
		for _, dt := range []string{"weights", "states"} {
			cases = append(cases, Case{Model: path, Images: 4, DirType: dt})
		}
	}
	return cases, nil
}

// RunExtGraphs runs the conformance checks on ExtGraphCases in fp32.
func RunExtGraphs(t *testing.T, factory engine.Factory) {
	cases, err := ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", filepath.Base(c.Model), c.DirType), func(t *testing.T) { runCase(t, c, factory, "fp32") })
	}
}

// BNEps appends a BatchNormalization node with epsilon eps and fresh parameters named prefix.weight, … .
func (b *GraphBuilder) BNEps(prefix, x string, c int, eps float32) string {
	return b.Node("BatchNormalization", []string{x, b.Init(prefix+".weight", true, c), b.Init(prefix+".bias", false, c),
		b.Init(prefix+".running_mean", false, c), b.Init(prefix+".running_var", true, c)}, AFloat("epsilon", eps))
}

// Scalar appends a Constant node holding one float32 and returns its output.
func (b *GraphBuilder) Scalar(v float32) string {
	return b.Node("Constant", nil, &onnx.AttributeProto{Name: proto.String("value"), Type: onnx.AttributeProto_TENSOR.Enum(),
		T: &onnx.TensorProto{DataType: proto.Int32(int32(onnx.TensorProto_FLOAT)), FloatData: []float32{v}}})
}

// NodeN appends a node with n outputs and returns their names.
func (b *GraphBuilder) NodeN(op string, inputs []string, n int, attrs ...*onnx.AttributeProto) []string {
	b.n++
	var outs []string
	for i := range n {
		outs = append(outs, fmt.Sprintf("%s_%d_%d", op, b.n, i))
	}
	b.G.Node = append(b.G.Node, &onnx.NodeProto{OpType: proto.String(op), Name: proto.String(fmt.Sprintf("/%s_%d", op, b.n)),
		Input: inputs, Output: outs, Attribute: attrs})
	return outs
}

// GELU appends x/√2 → Erf → +1 → ·x → ·½, as PyTorch exports nn.GELU.
func (b *GraphBuilder) GELU(x string) string {
	e := b.Node("Erf", []string{b.Node("Div", []string{x, b.Scalar(float32(math.Sqrt2))})})
	return b.Node("Mul", []string{b.Node("Mul", []string{x, b.Node("Add", []string{e, b.Scalar(1)})}), b.Scalar(0.5)})
}

// GELUTanh appends GELU's tanh approximation as PyTorch exports nn.GELU(approximate="tanh").
func (b *GraphBuilder) GELUTanh(x string) string {
	cube := b.Node("Mul", []string{x, b.Node("Mul", []string{x, x})})
	inner := b.Node("Mul", []string{b.Scalar(float32(math.Sqrt(2 / math.Pi))), b.Node("Add", []string{x, b.Node("Mul", []string{b.Scalar(0.044715), cube})})})
	return b.Node("Mul", []string{b.Scalar(0.5), b.Node("Mul", []string{x, b.Node("Add", []string{b.Scalar(1), b.Node("Tanh", []string{inner})})})})
}

// LayerNorm appends LayerNorm over the last axis with parameters prefix.weight and .bias: at
// opset 17 one LayerNormalization, before it the ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div,
// Mul, Add of PyTorch's opset-13 export.
func (b *GraphBuilder) LayerNorm(prefix, x string, c int, eps float32) string {
	g, beta := b.Init(prefix+".weight", true, c), b.Init(prefix+".bias", false, c)
	if b.Opset >= 17 {
		return b.Node("LayerNormalization", []string{x, g, beta}, AInt("axis", -1), AFloat("epsilon", eps))
	}
	m := b.Node("ReduceMean", []string{x}, AInts("axes", -1), AInt("keepdims", 1))
	d := b.Node("Sub", []string{x, m})
	v := b.Node("ReduceMean", []string{b.Node("Pow", []string{d, b.Scalar(2)})}, AInts("axes", -1), AInt("keepdims", 1))
	n := b.Node("Div", []string{d, b.Node("Sqrt", []string{b.Node("Add", []string{v, b.Scalar(eps)})})})
	return b.Node("Add", []string{b.Node("Mul", []string{n, g}), beta})
}

// mobileGraph: batch norms with ε 1e-3 and 1e-4, each folded and standalone, HardSwish (the opset-14
// op, fused into the conv, and x·HardSigmoid(x)), SiLU (x·σ(x)), a squeeze-and-excitation gate
// with HardSigmoid(α 0.3, β 0.4), Div and reversed Sub by constants, Add of a [C,1,1]
// parameter, Tanh, GELU's tanh approximation, a channel shuffle whose group size comes from Shape/Gather/Div folding,
// Split into unequal parts, Concat, and a strided Slice of channels; opset 17, on 3×10×9.
func mobileGraph() (*GraphBuilder, string, int) {
	b := NewGraph(-1, 3, 10, 9)
	b.Opset = 17
	x := b.Node("Conv", []string{"input", b.Init("c1.weight", false, 8, 3, 3, 3)}, AInts("pads", 1, 1, 1, 1))
	x = b.Node("HardSwish", []string{b.BNEps("bn1", x, 8, 1e-3)})
	x = b.BNEps("bn2", x, 8, 1e-4)
	x = b.Node("Mul", []string{x, b.Node("HardSigmoid", []string{x}, AFloat("alpha", 1.0/6), AFloat("beta", 0.5))})
	c2 := b.BNEps("bn3", b.Node("Conv", []string{x, b.Init("c2.weight", false, 8, 8, 1, 1)}), 8, 1e-4)
	x = b.Node("Mul", []string{c2, b.Node("Sigmoid", []string{c2})})
	g := b.Node("Conv", []string{b.Node("GlobalAveragePool", []string{x}), b.Init("se.weight", false, 8, 8, 1, 1), b.Init("se.bias", false, 8)})
	x = b.Node("Mul", []string{x, b.Node("HardSigmoid", []string{g}, AFloat("alpha", 0.3), AFloat("beta", 0.4))})
	x = b.Node("Sub", []string{b.Scalar(1), b.Node("Div", []string{x, b.Scalar(2.5)})})
	x = b.Node("Tanh", []string{b.Node("Add", []string{x, b.Init("shift", false, 8, 1, 1)})})
	x = b.GELUTanh(b.Node("Mul", []string{x, b.Scalar(3)}))
	// channel_shuffle(x, 2): view(n, 2, c/2, h, w) with c/2 computed from x.size()
	shape := b.Node("Shape", []string{x})
	dim := func(i int64) string {
		return b.Node("Gather", []string{shape, b.Ints(fmt.Sprintf("i%d_%d", i, b.n), i)}, AInt("axis", 0))
	}
	n, c, h, w := dim(0), dim(1), dim(2), dim(3)
	cpg := b.Node("Div", []string{c, b.Ints(fmt.Sprintf("two%d", b.n), 2)})
	five := b.Node("Concat", []string{n, b.Ints(fmt.Sprintf("g%d", b.n), 2), cpg, h, w}, AInt("axis", 0))
	x = b.Node("Transpose", []string{b.Node("Reshape", []string{x, five})}, AInts("perm", 0, 2, 1, 3, 4))
	x = b.Node("Reshape", []string{x, b.Ints("back", -1, 8, 10, 9)})
	parts := b.NodeN("Split", []string{x, b.Ints("split", 3, 5)}, 2, AInt("axis", 1))
	q := b.Node("Relu", []string{b.Node("Conv", []string{parts[1], b.Init("q.weight", false, 5, 5, 3, 3)}, AInts("pads", 1, 1, 1, 1))})
	x = b.BNEps("bn4", b.Node("Concat", []string{parts[0], q}, AInt("axis", 1)), 8, 1e-3)
	x = b.Node("Slice", []string{x, b.Ints("st", 1), b.Ints("en", 7), b.Ints("axs", 1), b.Ints("stp", 2)})
	x = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{x})})
	return b, b.Node("Gemm", []string{x, b.Init("fc.weight", false, 10, 3), b.Init("fc.bias", false, 10)}, AInt("transB", 1)), 10
}

// convnextGraph: a ConvNeXt stem and block as torchvision writes them: LayerNorm2d (permute,
// LayerNorm over the last axis, permute back), a depthwise 7×7 conv, permute to NHWC,
// LayerNorm (ε 1e-6), Linear (MatMul of Transpose(W) + Add), GELU, Linear, permute back, layer
// scale (Mul by a [C,1,1] parameter), residual Add; the head LayerNorm2d on [N,C,1,1], Flatten,
// Gemm. At opset 13 (the LayerNorm pattern) or 17 (LayerNormalization), on 3×9×11.
func convnextGraph(opset int64) (*GraphBuilder, string, int) {
	b := NewGraph(-1, 3, 9, 11)
	b.Opset = opset
	ln2d := func(prefix, x string, c int) string {
		y := b.LayerNorm(prefix, b.Node("Transpose", []string{x}, AInts("perm", 0, 2, 3, 1)), c, 1e-6)
		return b.Node("Transpose", []string{y}, AInts("perm", 0, 3, 1, 2))
	}
	linear := func(prefix, x string, in, out int) string {
		w := b.Node("Transpose", []string{b.Init(prefix+".weight", false, out, in)}, AInts("perm", 1, 0))
		return b.Node("Add", []string{b.Node("MatMul", []string{x, w}), b.Init(prefix+".bias", false, out)})
	}
	x := b.Node("Conv", []string{"input", b.Init("stem.weight", false, 8, 3, 2, 2), b.Init("stem.bias", false, 8)}, AInts("strides", 2, 2))
	x = ln2d("stem.ln", x, 8)
	y := b.Node("Conv", []string{x, b.Init("blk.dw.weight", false, 8, 1, 7, 7), b.Init("blk.dw.bias", false, 8)}, AInt("group", 8), AInts("pads", 3, 3, 3, 3))
	y = b.LayerNorm("blk.ln", b.Node("Transpose", []string{y}, AInts("perm", 0, 2, 3, 1)), 8, 1e-6)
	y = linear("blk.fc2", b.GELU(linear("blk.fc1", y, 8, 32)), 32, 8)
	y = b.Node("Transpose", []string{y}, AInts("perm", 0, 3, 1, 2))
	x = b.Node("Add", []string{b.Node("Mul", []string{b.Init("blk.layer_scale", false, 8, 1, 1), y}), x})
	x = b.Node("Flatten", []string{ln2d("head.ln", b.Node("GlobalAveragePool", []string{x}), 8)})
	return b, b.Node("Gemm", []string{x, b.Init("fc.weight", false, 10, 8), b.Init("fc.bias", false, 10)}, AInt("transB", 1)), 10
}
