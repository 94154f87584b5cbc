// Package onnx reads ONNX model files (protobuf, https://onnx.ai): the generated message types
// of onnx.pb.go, decoded by google.golang.org/protobuf, and helpers that turn tensors and
// attributes into Go values with errors that name the node, attribute or tensor. It knows
// nothing about networks: package model imports the graph.
package onnx

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/proto"
)

// Read decodes the ONNX model in file.
func Read(file string) (*ModelProto, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Decode(b, file)
}

// Decode decodes an ONNX model from b; file names the source in errors.
func Decode(b []byte, file string) (*ModelProto, error) {
	m := &ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: not an ONNX model (protobuf: %v)", file, err)
	}
	if m.GetGraph() == nil || len(m.GetGraph().GetNode()) == 0 {
		return nil, fmt.Errorf("%s: not an ONNX model (no graph, or a graph without nodes)", file)
	}
	return m, nil
}

// Opset returns the version of the default (ai.onnx) operator set the model imports, or 0.
func (m *ModelProto) Opset() int64 {
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			return o.GetVersion()
		}
	}
	return 0
}

// Shape returns the tensor's dimensions.
func (t *TensorProto) Shape() []int {
	s := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		s[i] = int(d)
	}
	return s
}

// numel is the element count of the tensor's dims: an error for a negative dimension or a
// count that overflows, so that no size is taken from the dims before it is checked against
// the data present.
func (t *TensorProto) numel() (int, error) {
	n := 1
	for _, d := range t.GetDims() {
		if d < 0 || (d > 0 && int64(n) > math.MaxInt32*int64(math.MaxInt32)/d) {
			return 0, fmt.Errorf("tensor %q: dims %v: want non-negative dimensions of at most 2^62 elements", t.GetName(), t.GetDims())
		}
		n *= int(d)
	}
	return n, nil
}

// Floats returns the tensor's elements as float32, converting float64 and integer types.
func (t *TensorProto) Floats() ([]float32, error) {
	n, err := t.numel()
	if err != nil {
		return nil, err
	}
	if t.GetDataLocation() == TensorProto_EXTERNAL {
		return nil, fmt.Errorf("tensor %q: data in an external file is not supported (export without external data)", t.GetName())
	}
	raw := t.GetRawData()
	switch TensorProto_DataType(t.GetDataType()) {
	case TensorProto_FLOAT:
		if raw != nil {
			if len(raw) != 4*n {
				return nil, t.sizeError(len(raw), 4*n)
			}
			out := make([]float32, n)
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			return out, nil
		}
		if len(t.GetFloatData()) != n {
			return nil, t.sizeError(len(t.GetFloatData()), n)
		}
		out := make([]float32, n)
		copy(out, t.GetFloatData())
		return out, nil
	case TensorProto_DOUBLE:
		if raw != nil {
			if len(raw) != 8*n {
				return nil, t.sizeError(len(raw), 8*n)
			}
			out := make([]float32, n)
			for i := range out {
				out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
			return out, nil
		}
		if len(t.GetDoubleData()) != n {
			return nil, t.sizeError(len(t.GetDoubleData()), n)
		}
		out := make([]float32, n)
		for i, v := range t.GetDoubleData() {
			out[i] = float32(v)
		}
		return out, nil
	}
	ints, err := t.Ints()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i, v := range ints {
		out[i] = float32(v)
	}
	return out, nil
}

// Ints returns the elements of an integer (or boolean) tensor as int64.
func (t *TensorProto) Ints() ([]int64, error) {
	n, err := t.numel()
	if err != nil {
		return nil, err
	}
	raw := t.GetRawData()
	width := map[TensorProto_DataType]int{TensorProto_INT64: 8, TensorProto_INT32: 4, TensorProto_INT16: 2,
		TensorProto_INT8: 1, TensorProto_UINT8: 1, TensorProto_BOOL: 1, TensorProto_UINT16: 2}
	dt := TensorProto_DataType(t.GetDataType())
	w, ok := width[dt]
	if !ok {
		return nil, fmt.Errorf("tensor %q: data type %v where integers were expected", t.GetName(), dt)
	}
	if raw != nil {
		if len(raw) != w*n {
			return nil, t.sizeError(len(raw), w*n)
		}
		out := make([]int64, n)
		for i := range out {
			b := raw[w*i:]
			switch dt {
			case TensorProto_INT64:
				out[i] = int64(binary.LittleEndian.Uint64(b))
			case TensorProto_INT32:
				out[i] = int64(int32(binary.LittleEndian.Uint32(b)))
			case TensorProto_INT16:
				out[i] = int64(int16(binary.LittleEndian.Uint16(b)))
			case TensorProto_UINT16:
				out[i] = int64(binary.LittleEndian.Uint16(b))
			case TensorProto_INT8:
				out[i] = int64(int8(b[0]))
			default:
				out[i] = int64(b[0])
			}
		}
		return out, nil
	}
	if dt == TensorProto_INT64 {
		if len(t.GetInt64Data()) != n {
			return nil, t.sizeError(len(t.GetInt64Data()), n)
		}
		out := make([]int64, n)
		copy(out, t.GetInt64Data())
		return out, nil
	}
	if len(t.GetInt32Data()) != n {
		return nil, t.sizeError(len(t.GetInt32Data()), n)
	}
	out := make([]int64, n)
	for i, v := range t.GetInt32Data() {
		out[i] = int64(v)
	}
	return out, nil
}

// IsFloat reports whether the tensor holds floating-point numbers.
func (t *TensorProto) IsFloat() bool {
	switch TensorProto_DataType(t.GetDataType()) {
	case TensorProto_FLOAT, TensorProto_DOUBLE:
		return true
	}
	return false
}

func (t *TensorProto) sizeError(got, want int) error {
	return fmt.Errorf("tensor %q of shape %v: %d data values or bytes, want %d", t.GetName(), t.GetDims(), got, want)
}

// Attr returns the node's attribute called name, or nil.
func (n *NodeProto) Attr(name string) *AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// Int returns integer attribute name, or def when absent.
func (n *NodeProto) Int(name string, def int64) int64 {
	if a := n.Attr(name); a != nil {
		return a.GetI()
	}
	return def
}

// Float returns float attribute name, or def when absent.
func (n *NodeProto) Float(name string, def float32) float32 {
	if a := n.Attr(name); a != nil {
		return a.GetF()
	}
	return def
}

// Ints returns integer-list attribute name, or nil when absent.
func (n *NodeProto) Ints(name string) []int64 {
	if a := n.Attr(name); a != nil {
		return a.GetInts()
	}
	return nil
}

// Str returns string attribute name, or def when absent.
func (n *NodeProto) Str(name, def string) string {
	if a := n.Attr(name); a != nil {
		return string(a.GetS())
	}
	return def
}

// Label names the node for error messages: its name (or first output) and op type.
func (n *NodeProto) Label() string {
	name := n.GetName()
	if name == "" && len(n.GetOutput()) > 0 {
		name = n.GetOutput()[0]
	}
	return fmt.Sprintf("node %q (%s)", name, n.GetOpType())
}

// Dims returns the static shape of a value: -1 for a symbolic or unknown dimension; ok is false
// when the value has no tensor shape.
func (v *ValueInfoProto) Dims() (dims []int, ok bool) {
	tt := v.GetType().GetTensorType()
	if tt == nil || tt.GetShape() == nil {
		return nil, false
	}
	for _, d := range tt.GetShape().GetDim() {
		if x, isVal := d.GetValue().(*TensorShapeProto_Dimension_DimValue); isVal {
			dims = append(dims, int(x.DimValue))
		} else {
			dims = append(dims, -1)
		}
	}
	return dims, true
}
