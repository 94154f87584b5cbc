package model

import (
	"landscape/onnx"
)

// constant is a tensor known at load time: an initializer, a Constant node, or the value of a
// small shape computation (Shape → Gather → Unsqueeze → Concat, Cast, …) evaluated at load (onnx_consteval.go).
type constant struct {
	shape []int
	data  []float64 // row-major; integers are stored exactly (|v| < 2⁵³)
	isInt bool
	// param is the initializer (or Identity-renamed copy) the value is, or "" for a computed one.
	param string
	// transposeOf is the 2D parameter this constant is the transpose of (a Linear weight that
	// MatMul reads as Transpose(W) when the export does not fold constants).
	transposeOf string
	// viewOf is the parameter this constant holds the values of in the same order, under
	// another shape (Unsqueeze, Squeeze, Reshape of it: a layer scale w[:, None, None]).
	viewOf string
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
