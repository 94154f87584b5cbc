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
	// gatherOf is the parameter whose entries this constant holds, element i being its flat
	// entry gidx[i] (a Gather of a relative position bias table by a constant index, then
	// reshaped and permuted): an activation it is added to adds the parameter itself.
	gatherOf string
	gidx     []int
	// alt is the constant's value with the batch at 2 instead of 1, for one computed from the
	// shape of an activation (nil: the same at every batch); Reshape reads where the batch goes.
	alt *constant
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

// movers are the operators that only move, copy or drop the elements of their first input.
var movers = map[string]bool{"Gather": true, "Reshape": true, "Transpose": true, "Unsqueeze": true, "Squeeze": true,
	"Slice": true, "Expand": true, "Flatten": true, "Identity": true}

// paramIndex says which parameter entries node nd's result holds when it moves the elements of
// a parameter (its first input: a parameter, a view of one or a gather from one): the parameter
// and, per result element, its flat entry, found by evaluating nd on the entries' indices.
func (im *importer) paramIndex(nd *onnx.NodeProto, in []*constant) (string, []int) {
	if !movers[nd.GetOpType()] || len(in) == 0 || in[0] == nil || in[0].isInt {
		return "", nil
	}
	x := in[0]
	name, idx := x.gatherOf, x.gidx
	if name == "" {
		if name = x0view(x); name == "" || im.consts[name] == nil {
			return "", nil
		}
		idx = make([]int, len(x.data))
		for i := range idx {
			idx[i] = i
		}
	}
	ix := &constant{shape: x.shape, isInt: true, data: make([]float64, len(idx))}
	for i, v := range idx {
		ix.data[i] = float64(v)
	}
	c, err := evalConst(nd, append([]*constant{ix}, in[1:]...), im.opset)
	if err != nil {
		return "", nil
	}
	return name, c.ints()
}
