package model

import (
	"fmt"
	"slices"

	"landscape/onnx"
)

// constant is a tensor known at load time: an initializer, a Constant node, or the value of a
// small shape computation (Shape → Gather → Unsqueeze → Concat, Cast, …) folded at load.
type constant struct {
	shape []int
	data  []float64 // row-major; integers are stored exactly (|v| < 2⁵³)
	isInt bool
	// param is the initializer (or Identity-renamed copy) the value is, or "" for a computed one.
	param string
	// transposeOf is the 2D parameter this constant is the transpose of (a Linear weight that
	// MatMul reads as Transpose(W) when the export does not fold constants).
	transposeOf string
}

func constFromTensor(t *onnx.TensorProto) (*constant, error) {
	c := &constant{shape: t.Shape(), param: t.GetName()}
	if t.IsFloat() {
		f, err := t.Floats()
		if err != nil {
			return nil, err
		}
		c.data = make([]float64, len(f))
		for i, v := range f {
			c.data[i] = float64(v)
		}
		return c, nil
	}
	ints, err := t.Ints()
	if err != nil {
		return nil, err
	}
	c.isInt = true
	c.data = make([]float64, len(ints))
	for i, v := range ints {
		c.data[i] = float64(v)
	}
	return c, nil
}

// float32s returns the constant's elements as float32.
func (c *constant) float32s() []float32 {
	out := make([]float32, len(c.data))
	for i, v := range c.data {
		out[i] = float32(v)
	}
	return out
}

// foldable lists the ops evaluated at load time when all their inputs are constants (Shape:
// when its input's shape is known, which it always is here).
var foldable = map[string]bool{"Constant": true, "Shape": true, "Gather": true, "Unsqueeze": true, "Squeeze": true,
	"Concat": true, "Cast": true, "Identity": true, "Transpose": true, "Slice": true}

// fold evaluates node nd whose inputs are the constants in (nil for an absent optional input).
// shapeOf gives the per-batch-element-1 shape of an activation (for Shape).
func fold(nd *onnx.NodeProto, in []*constant, opset int64) (*constant, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s", nd.Label(), fmt.Sprintf(format, a...))
	}
	switch nd.GetOpType() {
	case "Constant":
		if a := nd.Attr("value"); a != nil && a.GetT() != nil {
			c, err := constFromTensor(a.GetT())
			if err != nil {
				return nil, bad("%v", err)
			}
			c.param = ""
			return c, nil
		}
		if a := nd.Attr("value_float"); a != nil {
			return &constant{data: []float64{float64(a.GetF())}}, nil
		}
		if a := nd.Attr("value_int"); a != nil {
			return &constant{data: []float64{float64(a.GetI())}, isInt: true}, nil
		}
		if a := nd.Attr("value_floats"); a != nil {
			c := &constant{shape: []int{len(a.GetFloats())}}
			for _, v := range a.GetFloats() {
				c.data = append(c.data, float64(v))
			}
			return c, nil
		}
		if a := nd.Attr("value_ints"); a != nil {
			c := &constant{shape: []int{len(a.GetInts())}, isInt: true}
			for _, v := range a.GetInts() {
				c.data = append(c.data, float64(v))
			}
			return c, nil
		}
		return nil, bad("no value attribute this reader knows (value, value_float(s), value_int(s))")
	case "Identity":
		c := *in[0]
		return &c, nil // keeps param: an exporter-merged initializer, renamed by the caller
	case "Cast":
		c := &constant{shape: in[0].shape, data: slices.Clone(in[0].data)}
		switch onnx.TensorProto_DataType(nd.Int("to", 1)) {
		case onnx.TensorProto_FLOAT, onnx.TensorProto_DOUBLE, onnx.TensorProto_FLOAT16, onnx.TensorProto_BFLOAT16:
			for i, v := range c.data {
				c.data[i] = float64(float32(v))
			}
		default:
			c.isInt = true
			for i, v := range c.data {
				c.data[i] = float64(int64(v))
			}
		}
		return c, nil
	case "Gather":
		return gather(in[0], in[1], int(nd.Int("axis", 0)), bad)
	case "Unsqueeze", "Squeeze":
		axes := nd.Ints("axes")
		if opset >= 13 && len(in) > 1 && in[1] != nil {
			axes = nil
			for _, v := range in[1].data {
				axes = append(axes, int64(v))
			}
		}
		c := &constant{data: in[0].data, isInt: in[0].isInt}
		shape := slices.Clone(in[0].shape)
		if nd.GetOpType() == "Squeeze" {
			for i := len(shape) - 1; i >= 0; i-- {
				if (len(axes) == 0 && shape[i] == 1) || slices.Contains(axes, int64(i)) || slices.Contains(axes, int64(i-len(shape))) {
					shape = slices.Delete(shape, i, i+1)
				}
			}
		} else {
			rank := len(shape) + len(axes)
			for i := range rank {
				if slices.Contains(axes, int64(i)) || slices.Contains(axes, int64(i-rank)) {
					shape = slices.Insert(shape, i, 1)
				}
			}
		}
		c.shape = shape
		return c, nil
	case "Concat":
		c := &constant{isInt: true}
		for _, x := range in {
			if len(x.shape) > 1 {
				return nil, bad("concatenation of constants of rank %d (only 1D shape vectors are folded)", len(x.shape))
			}
			c.data = append(c.data, x.data...)
			c.isInt = c.isInt && x.isInt
		}
		c.shape = []int{len(c.data)}
		return c, nil
	case "Transpose":
		if len(in[0].shape) != 2 {
			return nil, bad("transpose of a constant of shape %s (only 2D ones are folded)", ShapeString(in[0].shape))
		}
		r, k := in[0].shape[0], in[0].shape[1]
		c := &constant{shape: []int{k, r}, data: make([]float64, r*k), isInt: in[0].isInt, transposeOf: in[0].param}
		for i := range r {
			for j := range k {
				c.data[j*r+i] = in[0].data[i*k+j]
			}
		}
		return c, nil
	case "Slice":
		if len(in[0].shape) != 1 || len(in) < 3 {
			return nil, bad("slice of a constant of shape %s (only 1D ones with starts/ends inputs are folded)", ShapeString(in[0].shape))
		}
		n := len(in[0].data)
		clamp := func(v float64) int {
			i := int(v)
			if i < 0 {
				i += n
			}
			return max(0, min(n, i))
		}
		lo, hi := clamp(in[1].data[0]), clamp(in[2].data[0])
		if len(in) > 4 && in[4] != nil && in[4].data[0] != 1 {
			return nil, bad("slice with step %v (only step 1 is folded)", in[4].data[0])
		}
		c := &constant{isInt: in[0].isInt}
		if hi > lo {
			c.data = slices.Clone(in[0].data[lo:hi])
		}
		c.shape = []int{len(c.data)}
		return c, nil
	}
	return nil, bad("cannot be folded to a constant")
}

// gather picks entries of a constant along axis 0 (the only axis a shape vector has).
func gather(data, idx *constant, axis int, bad func(string, ...any) error) (*constant, error) {
	if len(data.shape) != 1 || axis != 0 {
		return nil, bad("gather on axis %d of a constant of shape %s (only 1D shape vectors are folded)", axis, ShapeString(data.shape))
	}
	c := &constant{shape: slices.Clone(idx.shape), isInt: data.isInt}
	for _, v := range idx.data {
		i := int(v)
		if i < 0 {
			i += len(data.data)
		}
		if i < 0 || i >= len(data.data) {
			return nil, bad("index %d out of range for %d entries", int(v), len(data.data))
		}
		c.data = append(c.data, data.data[i])
	}
	return c, nil
}
