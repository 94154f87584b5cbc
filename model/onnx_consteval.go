package model

import (
	"fmt"
	"math"

	"landscape/onnx"
)

// Load-time constant evaluation: a node whose inputs are all constants (initializers, Constant
// nodes, Shape of an activation, values evaluated earlier) is evaluated here, on int64 or float
// tensors held as float64 (integers exactly), with ONNX's multidirectional broadcasting. (ONNX
// calls this "constant folding"; here "fold" means only batch-norm folding, Layer.Fold.)

// evaluable lists the operators evalConst evaluates.
var evaluable = map[string]bool{"Constant": true, "Identity": true, "Cast": true, "Gather": true, "Unsqueeze": true,
	"Squeeze": true, "Concat": true, "Transpose": true, "Slice": true, "Reshape": true, "Flatten": true, "Shape": true,
	"Size": true, "ConstantOfShape": true, "Expand": true, "Range": true, "Where": true, "ScatterND": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Mod": true, "Pow": true, "Min": true, "Max": true,
	"Equal": true, "Less": true, "Greater": true, "LessOrEqual": true, "GreaterOrEqual": true, "And": true, "Or": true,
	"Not": true, "Neg": true, "Abs": true, "Floor": true, "Ceil": true, "Sqrt": true, "Reciprocal": true, "Exp": true,
	"Sign": true, "Erf": true, "Tanh": true, "Sigmoid": true, "Relu": true}

// numel is the number of elements of a shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// maxConstValues bounds what constant evaluation may create beyond the size of its inputs
// (ConstantOfShape, Expand, Range, broadcasting, Gather, Concat): 2^24 values, over 50 times
// the largest such constant of the torchvision exports (Swin's shifted-window masks), so that
// a graph asking for more is an error, not an allocation or a loop without end.
const maxConstValues = 1 << 24

// maxSlotValues bounds one activation of an imported graph, per image: 2^28 values (1 GiB of
// float32), some ten times a 1024×1024 ResNet stem's, so that a graph whose input or padding
// claims more is refused before the importer builds pixel maps of that size.
const maxSlotValues = 1 << 28

// shapeSize is the number of values of shape, or an error when a dimension is negative or
// there are more than limit (computed without overflow).
func shapeSize(shape []int, limit int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d != 0 && n > limit/d {
			return 0, fmt.Errorf("shape %v holds more than %d values", shape, limit)
		}
		n *= d
	}
	if n > limit {
		return 0, fmt.Errorf("shape %v holds more than %d values", shape, limit)
	}
	return n, nil
}

// constLimit is the most values an operation on the constants in may produce: maxConstValues,
// or as many as its largest input holds.
func constLimit(in ...*constant) int {
	limit := maxConstValues
	for _, c := range in {
		if c != nil {
			limit = max(limit, len(c.data))
		}
	}
	return limit
}

// strides are the row-major strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	k := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = k
		k *= shape[i]
	}
	return s
}

// normAxis maps a possibly negative axis to [0, rank).
func normAxis(a, rank int) (int, error) {
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, rank)
	}
	return a, nil
}

// ints returns the constant's elements as ints, clamped to ±2⁶² (a Slice's end INT64_MAX,
// 2⁶³ as a float64, does not convert).
func (c *constant) ints() []int {
	out := make([]int, len(c.data))
	for i, v := range c.data {
		out[i] = int(max(-(1 << 62), min(v, 1<<62)))
	}
	return out
}

// evalConst evaluates node nd whose inputs are the constants in (nil for an absent optional input).
func evalConst(nd *onnx.NodeProto, in []*constant, opset int64) (*constant, error) {
	c, err := evalConstOp(nd, in, opset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nd.Label(), err)
	}
	if n, err := shapeSize(c.shape, math.MaxInt); err != nil || n != len(c.data) {
		return nil, fmt.Errorf("%s: evaluated to %d values for shape %v", nd.Label(), len(c.data), c.shape)
	}
	return c, nil
}

func evalConstOp(nd *onnx.NodeProto, in []*constant, opset int64) (*constant, error) {
	typ := nd.GetOpType()
	if typ != "Constant" && (len(in) == 0 || in[0] == nil) {
		return nil, fmt.Errorf("no first input")
	}
	if (typ == "Gather" || typ == "Expand") && (len(in) < 2 || in[1] == nil) {
		return nil, fmt.Errorf("want two inputs")
	}
	if f, ok := unaryFuncs[typ]; ok {
		c := &constant{shape: in[0].shape, data: make([]float64, len(in[0].data)), isInt: in[0].isInt && typ != "Sqrt" && typ != "Reciprocal"}
		for i, v := range in[0].data {
			c.data[i] = f(v)
		}
		return c, nil
	}
	if f, ok := binaryFuncs[typ]; ok {
		if len(in) < 2 || in[1] == nil {
			return nil, fmt.Errorf("want two inputs")
		}
		return broadcast2(in[0], in[1], func(a, b float64) float64 { return f(a, b, in[0].isInt && in[1].isInt, nd) }, resultInt(typ, in))
	}
	switch typ {
	case "Constant":
		return evalConstant(nd)
	case "Identity":
		c := *in[0]
		return &c, nil // keeps param: an exporter-merged initializer, renamed by the caller
	case "Cast":
		return evalCast(nd, in[0]), nil
	case "Gather":
		return evalGather(in[0], in[1], int(nd.Int("axis", 0)))
	case "Unsqueeze", "Squeeze":
		return evalSqueeze(nd, in, opset)
	case "Concat":
		return evalConcat(in, int(nd.Int("axis", 0)))
	case "Transpose":
		return evalTranspose(in[0], nd.Ints("perm"))
	case "Slice":
		return evalSlice(nd, in, opset)
	case "Reshape", "Flatten":
		return evalReshape(nd, in)
	case "Shape":
		shape := make([]float64, len(in[0].shape))
		for i, d := range in[0].shape {
			shape[i] = float64(d)
		}
		return &constant{shape: []int{len(shape)}, data: shape, isInt: true}, nil
	case "Size":
		return &constant{data: []float64{float64(len(in[0].data))}, isInt: true}, nil
	case "ConstantOfShape":
		return evalConstantOfShape(nd, in[0])
	case "Expand":
		return evalExpand(in[0], in[1])
	case "Range":
		return evalRange(in)
	case "Where":
		return evalWhere(in)
	case "ScatterND":
		return evalScatterND(in)
	}
	return nil, fmt.Errorf("cannot be evaluated to a constant")
}

var unaryFuncs = map[string]func(float64) float64{
	"Not": func(v float64) float64 { return b2f(v == 0) }, "Neg": func(v float64) float64 { return -v },
	"Abs": math.Abs, "Floor": math.Floor, "Ceil": math.Ceil, "Sqrt": math.Sqrt, "Exp": math.Exp, "Erf": math.Erf,
	"Tanh": math.Tanh, "Reciprocal": func(v float64) float64 { return 1 / v },
	"Sigmoid": func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, "Relu": func(v float64) float64 { return math.Max(v, 0) },
	"Sign": func(v float64) float64 {
		if v == 0 {
			return 0
		}
		return math.Copysign(1, v)
	},
}

var binaryFuncs = map[string]func(a, b float64, isInt bool, nd *onnx.NodeProto) float64{
	"Add": func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return a + b },
	"Sub": func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return a - b },
	"Mul": func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return a * b },
	"Div": func(a, b float64, isInt bool, _ *onnx.NodeProto) float64 {
		if isInt && b != 0 {
			return math.Trunc(a / b) // integer division truncates, as C and ONNX Runtime
		}
		return a / b
	},
	"Mod": func(a, b float64, isInt bool, nd *onnx.NodeProto) float64 {
		r := math.Mod(a, b)
		if nd.Int("fmod", 0) == 0 && r != 0 && (r < 0) != (b < 0) {
			r += b // the sign of the divisor, as Python's %
		}
		return r
	},
	"Pow":            func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return math.Pow(a, b) },
	"Min":            func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return math.Min(a, b) },
	"Max":            func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return math.Max(a, b) },
	"Equal":          func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a == b) },
	"Less":           func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a < b) },
	"Greater":        func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a > b) },
	"LessOrEqual":    func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a <= b) },
	"GreaterOrEqual": func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a >= b) },
	"And":            func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a != 0 && b != 0) },
	"Or":             func(a, b float64, _ bool, _ *onnx.NodeProto) float64 { return b2f(a != 0 || b != 0) },
}

// resultInt reports whether a binary op's result is an integer (or boolean) tensor.
func resultInt(typ string, in []*constant) bool {
	switch typ {
	case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or":
		return true
	}
	return in[0].isInt && in[1].isInt
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// broadcastShape is the multidirectional broadcast of shapes a and b.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// index maps the flat index i of shape out to the flat index of a tensor of shape s that
// broadcasts to it.
func bcIndex(i int, out, outStrides, s []int) int {
	k, stride := 0, 1
	for d := len(s) - 1; d >= 0; d-- {
		od := d + len(out) - len(s)
		coord := i / outStrides[od] % out[od]
		if s[d] != 1 {
			k += coord * stride
		}
		stride *= s[d]
	}
	return k
}

func broadcast2(a, b *constant, f func(a, b float64) float64, isInt bool) (*constant, error) {
	shape, err := broadcastShape(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	n, err := shapeSize(shape, constLimit(a, b))
	if err != nil {
		return nil, err
	}
	st := strides(shape)
	c := &constant{shape: shape, data: make([]float64, n), isInt: isInt}
	for i := range c.data {
		c.data[i] = f(a.data[bcIndex(i, shape, st, a.shape)], b.data[bcIndex(i, shape, st, b.shape)])
	}
	return c, nil
}
