package model

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"landscape/onnx"
)

// Constant evaluation refuses what would allocate without bound or never end — a negative or
// huge ConstantOfShape or Expand shape (a makeslice panic before), a Range of more than 2^24
// values or with a step too small to move (an endless loop before), broadcasts, Gathers and
// Concats past the bound, Slices whose axes or steps are fewer than their starts, nodes
// without the inputs they read (index panics before) — and still evaluates Range as ONNX
// defines it.
func TestConstEvalBounds(t *testing.T) {
	ints := func(v ...float64) *constant { return &constant{shape: []int{len(v)}, data: v, isInt: true} }
	floats := func(v ...float64) *constant { return &constant{shape: []int{len(v)}, data: v} }
	node := func(op string) *onnx.NodeProto { return &onnx.NodeProto{OpType: proto.String(op)} }
	big := &constant{shape: []int{1 << 12, 1}, data: make([]float64, 1<<12)}
	wide := &constant{shape: []int{1, 1 << 13}, data: make([]float64, 1<<13)}
	for _, c := range []struct {
		op   string
		in   []*constant
		want string
	}{
		{"ConstantOfShape", []*constant{ints(-1)}, "negative dimension"},
		{"ConstantOfShape", []*constant{ints(1<<31, 1<<31)}, "more than 16777216 values"},
		{"Expand", []*constant{ints(1), ints(-2)}, "negative dimension"},
		{"Expand", []*constant{ints(1), ints(1<<40, 1<<40)}, "more than"},
		{"Range", []*constant{floats(0), floats(1), floats(1e-300)}, "more than 16777216 values"},
		{"Range", []*constant{ints(0), ints(1 << 40), ints(1)}, "more than"},
		{"Add", []*constant{big, wide}, "shape [4096 8192] holds more than"},
		{"Where", []*constant{big, wide, ints(1)}, "holds more than"},
		{"Slice", []*constant{wide, ints(0), ints(1), ints(0, 1)}, "1 starts, 1 ends, 2 axes"},
		{"Slice", []*constant{wide, ints(0, 0), ints(1, 1), ints(0, 1), ints(1)}, "2 starts, 2 ends, 2 axes, 1 steps"},
		{"Transpose", nil, "no first input"},
		{"Gather", []*constant{wide}, "want two inputs"},
		{"Range", []*constant{ints(), ints(1), ints(1)}, "one number each"},
		{"Gather", []*constant{wide, &constant{shape: []int{1 << 12}, data: make([]float64, 1<<12)}}, "shape [4096 8192] holds more than"},
	} {
		_, err := evalConst(node(c.op), c.in, 13)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s of %d inputs: %v, want an error with %q", c.op, len(c.in), err, c.want)
		}
	}
	for _, c := range []struct {
		in   []*constant
		want []float64
	}{
		{[]*constant{ints(0), ints(5), ints(2)}, []float64{0, 2, 4}},
		{[]*constant{ints(5), ints(0), ints(-2)}, []float64{5, 3, 1}},
		{[]*constant{ints(3), ints(3), ints(1)}, []float64{}},
		{[]*constant{floats(0), floats(1), floats(0.25)}, []float64{0, 0.25, 0.5, 0.75}},
	} {
		r, err := evalConst(node("Range"), c.in, 13)
		if err != nil || !slices.Equal(r.data, c.want) || !slices.Equal(r.shape, []int{len(c.want)}) {
			t.Errorf("Range%v: %v %v, want %v", c.in, r, err, c.want)
		}
	}
}
