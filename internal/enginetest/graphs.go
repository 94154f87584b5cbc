package enginetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"landscape/model"
	"landscape/onnx"
)

// GraphBuilder writes small ONNX graphs for tests, node by node, as an exporter would.
type GraphBuilder struct {
	G     *onnx.GraphProto
	Opset int64
	n     int
	rng   *rand.Rand
}

// NewGraph starts a graph whose input "input" has shape [batch, c, h, w] (batch -1: symbolic).
func NewGraph(batch, c, h, w int) *GraphBuilder {
	b := &GraphBuilder{G: &onnx.GraphProto{Name: proto.String("test")}, Opset: 13, rng: rand.New(rand.NewPCG(1, 2))}
	b.G.Input = append(b.G.Input, valueInfo("input", batch, c, h, w))
	return b
}

func valueInfo(name string, dims ...int) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnx.TensorShapeProto_Dimension{}
		if d < 0 {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
		} else {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnx.ValueInfoProto{Name: proto.String(name), Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: proto.Int32(int32(onnx.TensorProto_FLOAT)), Shape: shape}}}}
}

// Init adds a float initializer with random values (positive ones, in [0.5, 1.5), when
// positive is set: variances) and returns its name.
func (b *GraphBuilder) Init(name string, positive bool, shape ...int) string {
	t := &onnx.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnx.TensorProto_FLOAT))}
	n := 1
	for _, d := range shape {
		t.Dims = append(t.Dims, int64(d))
		n *= d
	}
	for range n {
		v := float32(b.rng.NormFloat64() * 0.3)
		if positive {
			v = float32(0.5 + b.rng.Float64())
		}
		t.FloatData = append(t.FloatData, v)
	}
	b.G.Initializer = append(b.G.Initializer, t)
	return name
}

// Ints adds an int64 initializer (a shape or pads vector) and returns its name.
func (b *GraphBuilder) Ints(name string, v ...int64) string {
	b.G.Initializer = append(b.G.Initializer, &onnx.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(v))},
		DataType: proto.Int32(int32(onnx.TensorProto_INT64)), Int64Data: v})
	return name
}

// Node appends a node and returns the name of its (first) output.
func (b *GraphBuilder) Node(op string, inputs []string, attrs ...*onnx.AttributeProto) string {
	b.n++
	out := fmt.Sprintf("%s_%d", op, b.n)
	b.G.Node = append(b.G.Node, &onnx.NodeProto{OpType: proto.String(op), Name: proto.String(fmt.Sprintf("/%s_%d", op, b.n)),
		Input: inputs, Output: []string{out}, Attribute: attrs})
	return out
}

// AInt, AInts and AFloat make node attributes.
func AInt(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: proto.String(name), Type: onnx.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

// AInts makes an integer-list attribute.
func AInts(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: proto.String(name), Type: onnx.AttributeProto_INTS.Enum(), Ints: v}
}

// AFloat makes a float attribute.
func AFloat(name string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: proto.String(name), Type: onnx.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// Write sets the graph output and writes the model to path.
func (b *GraphBuilder) Write(path, output string, classes int) error {
	b.G.Output = []*onnx.ValueInfoProto{valueInfo(output, -1, classes)}
	m := &onnx.ModelProto{IrVersion: proto.Int64(8), ProducerName: proto.String("landscape-test"), Graph: b.G,
		OpsetImport: []*onnx.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(b.Opset)}}}
	data, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// BN appends a BatchNormalization node with fresh parameters named prefix.weight, … .
func (b *GraphBuilder) BN(prefix, x string, c int) string {
	return b.Node("BatchNormalization", []string{x, b.Init(prefix+".weight", true, c), b.Init(prefix+".bias", false, c),
		b.Init(prefix+".running_mean", false, c), b.Init(prefix+".running_var", true, c)}, AFloat("epsilon", 1e-5))
}

// FlattenByShape appends the subgraph x.view(x.size(0), -1) exports: Shape, Gather, Unsqueeze,
// Concat with a constant −1, Reshape.
func (b *GraphBuilder) FlattenByShape(x string) string {
	shape := b.Node("Shape", []string{x})
	zero := b.Node("Constant", nil, &onnx.AttributeProto{Name: proto.String("value"), Type: onnx.AttributeProto_TENSOR.Enum(),
		T: &onnx.TensorProto{DataType: proto.Int32(int32(onnx.TensorProto_INT64)), Int64Data: []int64{0}}})
	n := b.Node("Gather", []string{shape, zero}, AInt("axis", 0))
	nu := b.Node("Unsqueeze", []string{n, b.Ints(fmt.Sprintf("axes%d", b.n), 0)})
	target := b.Node("Concat", []string{nu, b.Ints(fmt.Sprintf("minus1_%d", b.n), -1)}, AInt("axis", 0))
	return b.Node("Reshape", []string{x, target})
}

// GraphCases writes the ONNX test graphs into dir and returns their suite cases: every operator
// LoadONNX imports that the GPU engine runs too, on non-square inputs (ExtGraphCases: the rest).
func GraphCases(dir string) ([]Case, error) {
	var cases []Case
	for _, g := range []struct {
		name  string
		build func() (*GraphBuilder, string, int)
	}{{"mixed", mixedGraph}, {"preact", preactGraph}} {
		b, out, classes := g.build()
		path := filepath.Join(dir, g.name+".onnx")
		if err := b.Write(path, out, classes); err != nil {
			return nil, err
		}
		for _, dt := range []string{"weights", "states"} {
			cases = append(cases, Case{Model: path, Images: 5, DirType: dt})
		}
	}
	return cases, nil
}

// mixedGraph: asymmetric, dilated, strided and depthwise convolutions, BN folded and on its
// own, ReLU6, LeakyReLU, concatenation, Pad + count_include_pad average pooling in ceil mode,
// padded ceil-mode max pooling, a squeeze-and-excitation block (ReduceMean, Gemm, MatMul + Add
// with Transpose, Sigmoid, Mul), a stand-alone Add, Dropout, the Shape/Gather flatten, and a
// parameter renamed by Identity, on a 3×11×9 input.
func mixedGraph() (*GraphBuilder, string, int) {
	b := NewGraph(-1, 3, 11, 9)
	c1 := b.Node("Conv", []string{"input", b.Init("c1.weight", false, 8, 3, 3, 2), b.Init("c1.bias", false, 8)},
		AInts("pads", 1, 0, 1, 1), AInts("kernel_shape", 3, 2))
	r1 := b.Node("Relu", []string{b.BN("bn1", c1, 8)})
	c2 := b.Node("Conv", []string{r1, b.Init("c2.weight", false, 4, 8, 1, 1)})
	cat := b.Node("Concat", []string{c1, c2}, AInt("axis", 1)) // c1 read twice: its BN stands alone
	six := b.Node("Constant", nil, &onnx.AttributeProto{Name: proto.String("value"), Type: onnx.AttributeProto_TENSOR.Enum(),
		T: &onnx.TensorProto{DataType: proto.Int32(int32(onnx.TensorProto_DOUBLE)), DoubleData: []float64{6}}})
	zero := b.Node("Constant", nil, &onnx.AttributeProto{Name: proto.String("value"), Type: onnx.AttributeProto_TENSOR.Enum(),
		T: &onnx.TensorProto{DataType: proto.Int32(int32(onnx.TensorProto_FLOAT)), FloatData: []float32{0}}})
	r2 := b.Node("Clip", []string{b.BN("bn2", cat, 12), b.Node("Cast", []string{zero}, AInt("to", 1)), b.Node("Cast", []string{six}, AInt("to", 1))})
	dw := b.Node("Conv", []string{r2, b.Init("dw.weight", false, 12, 1, 3, 3)}, AInt("group", 12), AInts("strides", 2, 2), AInts("pads", 0, 1, 1, 0))
	lk := b.Node("LeakyRelu", []string{dw}, AFloat("alpha", 0.1))
	pad := b.Node("Pad", []string{lk, b.Ints("pads", 0, 0, 1, 1, 0, 0, 1, 1)})
	ap := b.Node("AveragePool", []string{pad}, AInts("kernel_shape", 3, 3), AInts("strides", 2, 2), AInt("ceil_mode", 1))
	mp := b.Node("MaxPool", []string{ap}, AInts("kernel_shape", 2, 2), AInts("strides", 1, 2), AInts("pads", 1, 0, 0, 1), AInt("ceil_mode", 1))
	gap := b.Node("ReduceMean", []string{mp}, AInts("axes", 2, 3), AInt("keepdims", 1))
	fc1 := b.Node("Gemm", []string{b.Node("Flatten", []string{gap}), b.Init("se.fc1.weight", false, 3, 12), b.Init("se.fc1.bias", false, 3)}, AInt("transB", 1))
	mm := b.Node("MatMul", []string{b.Node("Relu", []string{fc1}), b.Node("Transpose", []string{b.Init("se.fc2.weight", false, 12, 3)}, AInts("perm", 1, 0))})
	s := b.Node("Sigmoid", []string{b.Node("Add", []string{mm, b.Node("Identity", []string{b.Init("se.fc2.bias", false, 12)})})})
	se := b.Node("Mul", []string{b.Node("Reshape", []string{s, b.Ints("se_shape", -1, 12, 1, 1)}), mp})
	dil := b.Node("Conv", []string{se, b.Init("dil.weight", false, 6, 12, 3, 3), b.Init("dil.bias", false, 6)}, AInts("dilations", 2, 2), AInts("pads", 2, 2, 2, 2))
	add := b.Node("Add", []string{b.Node("Relu", []string{dil}), dil})
	flat := b.FlattenByShape(b.Node("GlobalAveragePool", []string{add}))
	drop := b.Node("Dropout", []string{flat}, AFloat("ratio", 0.5))
	return b, b.Node("Gemm", []string{drop, b.Init("fc.weight", false, 10, 6), b.Init("fc.bias", false, 10)}, AInt("transB", 1)), 10
}

// preactGraph: a pre-activation block (BN → ReLU → conv, conv output added to the block input
// through a fused residual), a grouped 3×3 conv (2 groups of 3 channels), a 1×1 conv with a 5×5
// window-average pool, and a classifier
// MatMul without bias, on a 2×8×12 input with batch fixed to 1.
func preactGraph() (*GraphBuilder, string, int) {
	b := NewGraph(1, 2, 8, 12)
	c0 := b.Node("Conv", []string{"input", b.Init("stem.weight", false, 6, 2, 3, 3)}, AInts("pads", 1, 1, 1, 1))
	y := b.Node("Relu", []string{b.BN("blk.bn1", c0, 6)})
	y = b.Node("Conv", []string{y, b.Init("blk.conv1.weight", false, 6, 6, 3, 3)}, AInts("pads", 1, 1, 1, 1))
	y = b.Node("Relu", []string{b.BN("blk.bn2", y, 6)})
	y = b.Node("Conv", []string{y, b.Init("blk.conv2.weight", false, 6, 6, 3, 3)}, AInts("pads", 1, 1, 1, 1))
	y = b.Node("Add", []string{c0, y})
	y = b.Node("Relu", []string{b.BN("bn", y, 6)})
	y = b.Node("Conv", []string{y, b.Init("g.weight", false, 6, 3, 3, 3), b.Init("g.bias", false, 6)}, AInt("group", 2), AInts("pads", 1, 1, 1, 1))
	y = b.Node("Conv", []string{y, b.Init("t.weight", false, 4, 6, 1, 1)})
	y = b.Node("AveragePool", []string{y}, AInts("kernel_shape", 5, 5), AInts("strides", 3, 3), AInts("pads", 2, 2, 2, 2), AInt("count_include_pad", 0))
	y = b.Node("Flatten", []string{y})
	return b, b.Node("MatMul", []string{y, b.Init("fc.weight_t", false, 4*3*4, 7)}), 7
}

// InitData adds a float initializer with the given values and returns its name.
func (b *GraphBuilder) InitData(name string, shape []int, data []float32) string {
	t := &onnx.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnx.TensorProto_FLOAT)), FloatData: data}
	for _, d := range shape {
		t.Dims = append(t.Dims, int64(d))
	}
	b.G.Initializer = append(b.G.Initializer, t)
	return name
}

// ZooGraph writes zoo network n with weights w as PyTorch's export of it would be (Conv,
// BatchNormalization, Relu, Add, ceil-mode MaxPool, GlobalAveragePool, Flatten + Gemm, the
// state_dict names) and returns the builder and the output's name.
func ZooGraph(n *model.Net, w *model.Weights) (*GraphBuilder, string) {
	in := n.Input()
	b := NewGraph(-1, in[0], in[1], in[2])
	val := map[int]string{0: "input"}
	param := func(name string) string {
		t := w.Get(name)
		return b.InitData(name, t.Shape, t.Data)
	}
	for _, op := range n.Ops {
		x := val[op.In]
		var out string
		switch op.Kind {
		case model.OpConv:
			ins := []string{x, param(op.Weight)}
			if op.Bias != "" {
				ins = append(ins, param(op.Bias))
			}
			out = b.Node("Conv", ins, AInts("kernel_shape", int64(op.K), int64(op.K)), AInts("strides", int64(op.Stride), int64(op.Stride)),
				AInts("pads", int64(op.Pad), int64(op.Pad), int64(op.Pad), int64(op.Pad)))
		case model.OpBatchNorm:
			ins := []string{x}
			for _, e := range op.BNEntries() {
				ins = append(ins, param(e))
			}
			out = b.Node("BatchNormalization", ins, AFloat("epsilon", 1e-5))
		case model.OpReLU:
			out = b.Node("Relu", []string{x})
		case model.OpAdd:
			out = b.Node("Add", []string{x, val[op.In2]})
		case model.OpMaxPool:
			out = b.Node("MaxPool", []string{x}, AInts("kernel_shape", int64(op.K), int64(op.K)), AInts("strides", int64(op.K), int64(op.K)), AInt("ceil_mode", 1))
		case model.OpGlobalAvgPool:
			out = b.Node("GlobalAveragePool", []string{x})
		case model.OpLinear:
			out = b.Node("Gemm", []string{b.Node("Flatten", []string{x}), param(op.Weight), param(op.Bias)}, AInt("transB", 1))
		default:
			panic(fmt.Sprintf("ZooGraph: %v is not a zoo op", op.Kind))
		}
		val[op.Out] = out
	}
	return b, val[n.Output]
}
