package model

import (
	"fmt"
	"math"
	"slices"

	"landscape/onnx"
)

// The shape and indexing operators of load-time constant evaluation (onnx_consteval.go).

func evalConstant(nd *onnx.NodeProto) (*constant, error) {
	if a := nd.Attr("value"); a != nil && a.GetT() != nil {
		c, err := constFromTensor(a.GetT())
		if err != nil {
			return nil, err
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
	return nil, fmt.Errorf("no value attribute this reader knows (value, value_float(s), value_int(s))")
}

func evalCast(nd *onnx.NodeProto, x *constant) *constant {
	c := &constant{shape: x.shape, data: slices.Clone(x.data)}
	switch onnx.TensorProto_DataType(nd.Int("to", 1)) {
	case onnx.TensorProto_FLOAT, onnx.TensorProto_FLOAT16, onnx.TensorProto_BFLOAT16:
		for i, v := range c.data {
			c.data[i] = float64(float32(v))
		}
	case onnx.TensorProto_DOUBLE:
	case onnx.TensorProto_BOOL:
		c.isInt = true
		for i, v := range c.data {
			c.data[i] = b2f(v != 0)
		}
	default:
		c.isInt = true
		for i, v := range c.data {
			c.data[i] = float64(int64(v))
		}
	}
	return c
}

// evalGather picks entries of data along axis at the indices of idx (negative ones count
// from the end).
func evalGather(data, idx *constant, axis int) (*constant, error) {
	if len(data.shape) == 0 {
		return nil, fmt.Errorf("gather from a scalar")
	}
	axis, err := normAxis(axis, len(data.shape))
	if err != nil {
		return nil, err
	}
	outer := numel(data.shape[:axis])
	n := data.shape[axis]
	inner := numel(data.shape[axis+1:])
	shape := append(append(slices.Clone(data.shape[:axis]), idx.shape...), data.shape[axis+1:]...)
	size, err := shapeSize(shape, constLimit(data, idx))
	if err != nil {
		return nil, err
	}
	c := &constant{shape: shape, data: make([]float64, 0, size), isInt: data.isInt}
	for o := range outer {
		for _, v := range idx.data {
			i := int(v)
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return nil, fmt.Errorf("index %d out of range for %d entries", int(v), n)
			}
			c.data = append(c.data, data.data[(o*n+i)*inner:][:inner]...)
		}
	}
	return c, nil
}

// axesOf returns a node's axes: the attribute, or (opset 13 on) input i.
func axesOf(nd *onnx.NodeProto, in []*constant, i int) []int {
	if len(in) > i && in[i] != nil {
		return in[i].ints()
	}
	var out []int
	for _, a := range nd.Ints("axes") {
		out = append(out, int(a))
	}
	return out
}

func evalSqueeze(nd *onnx.NodeProto, in []*constant, opset int64) (*constant, error) {
	axes := axesOf(nd, in, 1)
	c := &constant{data: in[0].data, isInt: in[0].isInt}
	shape := slices.Clone(in[0].shape)
	if nd.GetOpType() == "Squeeze" {
		for i := len(shape) - 1; i >= 0; i-- {
			if (len(axes) == 0 && shape[i] == 1) || slices.Contains(axes, i) || slices.Contains(axes, i-len(shape)) {
				shape = slices.Delete(shape, i, i+1)
			}
		}
	} else {
		rank := len(shape) + len(axes)
		for i := range rank {
			if slices.Contains(axes, i) || slices.Contains(axes, i-rank) {
				shape = slices.Insert(shape, i, 1)
			}
		}
	}
	c.shape = shape
	c.viewOf = x0view(in[0])
	return c, nil
}

// x0view is the parameter a reshaped constant holds the values of, in order, or "".
func x0view(x *constant) string {
	if x.param != "" {
		return x.param
	}
	return x.viewOf
}

func evalConcat(in []*constant, axis int) (*constant, error) {
	var parts []*constant
	for _, x := range in {
		if x != nil && len(x.data) > 0 {
			parts = append(parts, x)
		}
	}
	if len(parts) == 0 {
		return &constant{shape: []int{0}, isInt: true}, nil
	}
	rank := len(parts[0].shape)
	axis, err := normAxis(axis, rank)
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(parts[0].shape)
	shape[axis] = 0
	c := &constant{isInt: true}
	for _, x := range parts {
		if len(x.shape) != rank || !slices.Equal(x.shape[:axis], shape[:axis]) || !slices.Equal(x.shape[axis+1:], shape[axis+1:]) {
			return nil, fmt.Errorf("concatenation of shapes %v and %v on axis %d", parts[0].shape, x.shape, axis)
		}
		shape[axis] += x.shape[axis]
		c.isInt = c.isInt && x.isInt
	}
	if _, err := shapeSize(shape, constLimit(parts...)); err != nil {
		return nil, err
	}
	outer := numel(shape[:axis])
	for o := range outer {
		for _, x := range parts {
			k := numel(x.shape[axis:])
			c.data = append(c.data, x.data[o*k:][:k]...)
		}
	}
	c.shape = shape
	return c, nil
}

// evalTranspose permutes the axes (reversed when perm is nil); the transpose of a 2D parameter
// remembers it (a Linear weight that MatMul reads as Transpose(W)).
func evalTranspose(x *constant, perm64 []int64) (*constant, error) {
	rank := len(x.shape)
	if len(perm64) != 0 && len(perm64) != rank {
		return nil, fmt.Errorf("perm %v for rank %d", perm64, rank)
	}
	perm := make([]int, rank)
	seen := make([]bool, rank)
	for i := range perm {
		perm[i] = rank - 1 - i
		if len(perm64) != 0 {
			if perm64[i] < 0 || perm64[i] >= int64(rank) || seen[perm64[i]] {
				return nil, fmt.Errorf("perm %v is not a permutation of the %d axes", perm64, rank)
			}
			perm[i] = int(perm64[i])
		}
		seen[perm[i]] = true
	}
	shape := make([]int, rank)
	for i, p := range perm {
		shape[i] = x.shape[p]
	}
	c := &constant{shape: shape, data: make([]float64, len(x.data)), isInt: x.isInt}
	if rank == 2 && perm[0] == 1 {
		c.transposeOf = x.param
	}
	inSt, outSt := strides(x.shape), strides(shape)
	for i := range c.data {
		k := 0
		for d, p := range perm {
			k += i / outSt[d] % shape[d] * inSt[p]
		}
		c.data[i] = x.data[k]
	}
	return c, nil
}

// evalSlice takes starts/ends/axes/steps from the inputs (opset 10 on) or attributes.
func evalSlice(nd *onnx.NodeProto, in []*constant, opset int64) (*constant, error) {
	x := in[0]
	var starts, ends, axes, steps []int
	if len(in) >= 3 {
		if in[1] == nil || in[2] == nil {
			return nil, fmt.Errorf("want starts and ends")
		}
		starts, ends = in[1].ints(), in[2].ints()
		if len(in) > 3 && in[3] != nil {
			axes = in[3].ints()
		}
		if len(in) > 4 && in[4] != nil {
			steps = in[4].ints()
		}
	} else {
		for _, v := range nd.Ints("starts") {
			starts = append(starts, int(v))
		}
		for _, v := range nd.Ints("ends") {
			ends = append(ends, int(v))
		}
		axes = axesOf(nd, nil, 0)
	}
	sel, err := sliceRanges(x.shape, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	return gatherRanges(x, sel), nil
}

// sliceRanges returns, per axis of shape, the indices a Slice keeps (ONNX's clamping rules).
func sliceRanges(shape, starts, ends, axes, steps []int) ([][]int, error) {
	sel := make([][]int, len(shape))
	for d, n := range shape {
		for i := range n {
			sel[d] = append(sel[d], i)
		}
	}
	if len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("%d starts, %d ends, %d axes, %d steps", len(starts), len(ends), len(axes), len(steps))
	}
	for j := range starts {
		axis := j
		if axes != nil {
			axis = axes[j]
		}
		axis, err := normAxis(axis, len(shape))
		if err != nil {
			return nil, err
		}
		step := 1
		if steps != nil {
			step = steps[j]
		}
		if step == 0 {
			return nil, fmt.Errorf("slice step 0")
		}
		sel[axis] = sliceAxis(shape[axis], starts[j], ends[j], step)
	}
	return sel, nil
}

// sliceAxis is the index list of start:end:step on an axis of n entries.
func sliceAxis(n, start, end, step int) []int {
	clamp := func(v, lo, hi int) int {
		if v < 0 {
			v += n
		}
		return max(lo, min(hi, v))
	}
	var out []int
	if step > 0 {
		for i := clamp(start, 0, n); i < clamp(end, 0, n); i += step {
			out = append(out, i)
		}
	} else {
		for i := clamp(start, -1, n-1); i > clamp(end, -1, n-1); i += step {
			out = append(out, i)
		}
	}
	return out
}

// gatherRanges keeps the entries of x at the cartesian product of sel.
func gatherRanges(x *constant, sel [][]int) *constant {
	shape := make([]int, len(sel))
	for d, s := range sel {
		shape[d] = len(s)
	}
	c := &constant{shape: shape, data: make([]float64, numel(shape)), isInt: x.isInt}
	inSt, outSt := strides(x.shape), strides(shape)
	for i := range c.data {
		k := 0
		for d := range shape {
			k += sel[d][i/outSt[d]%shape[d]] * inSt[d]
		}
		c.data[i] = x.data[k]
	}
	return c
}

func evalReshape(nd *onnx.NodeProto, in []*constant) (*constant, error) {
	x := in[0]
	var target []int
	if nd.GetOpType() == "Flatten" {
		ax, err := normAxis(int(nd.Int("axis", 1)), len(x.shape)+1)
		if err != nil {
			return nil, err
		}
		target = []int{numel(x.shape[:ax]), numel(x.shape[ax:])}
	} else {
		if len(in) < 2 || in[1] == nil {
			return nil, fmt.Errorf("no target shape")
		}
		var err error
		if target, err = reshapeTarget(x.shape, in[1].ints(), nd.Int("allowzero", 0) != 0); err != nil {
			return nil, err
		}
	}
	return &constant{shape: target, data: x.data, isInt: x.isInt, viewOf: x0view(x)}, nil
}

// reshapeTarget resolves a Reshape's 0 (copy the dimension) and −1 (the rest) entries.
func reshapeTarget(shape, t []int, allowZero bool) ([]int, error) {
	out := slices.Clone(t)
	free, known := -1, 1
	for i, v := range out {
		switch {
		case v == 0 && !allowZero:
			if i >= len(shape) {
				return nil, fmt.Errorf("reshape target %v copies dimension %d of %v", t, i, shape)
			}
			out[i] = shape[i]
		case v == -1 && free < 0:
			free = i
			continue
		case v < 0:
			return nil, fmt.Errorf("reshape target %v", t)
		}
		known *= out[i]
	}
	n := numel(shape)
	if free >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("reshape of %v to %v", shape, t)
		}
		out[free] = n / known
	} else if known != n {
		return nil, fmt.Errorf("reshape of %v (%d values) to %v", shape, n, t)
	}
	return out, nil
}

func evalConstantOfShape(nd *onnx.NodeProto, shape *constant) (*constant, error) {
	v, isInt := 0.0, false
	if a := nd.Attr("value"); a != nil && a.GetT() != nil {
		c, err := constFromTensor(a.GetT())
		if err != nil || len(c.data) != 1 {
			return nil, fmt.Errorf("value attribute: want one number")
		}
		v, isInt = c.data[0], c.isInt
	}
	s := shape.ints()
	n, err := shapeSize(s, maxConstValues)
	if err != nil {
		return nil, err
	}
	c := &constant{shape: s, data: make([]float64, n), isInt: isInt}
	for i := range c.data {
		c.data[i] = v
	}
	return c, nil
}

func evalExpand(x, shape *constant) (*constant, error) {
	ones := &constant{shape: shape.ints()}
	n, err := shapeSize(ones.shape, constLimit(x))
	if err != nil {
		return nil, err
	}
	ones.data = make([]float64, n)
	c, err := broadcast2(x, ones, func(a, _ float64) float64 { return a }, x.isInt)
	if err == nil && len(c.data) == len(x.data) {
		c.viewOf = x0view(x) // expanded to batch 1 (a class token): the parameter's values
	}
	return c, err
}

func evalRange(in []*constant) (*constant, error) {
	if len(in) != 3 || slices.ContainsFunc(in, func(c *constant) bool { return c == nil || len(c.data) != 1 }) {
		return nil, fmt.Errorf("want start, limit, delta: one number each")
	}
	start, limit, delta := in[0].data[0], in[1].data[0], in[2].data[0]
	if delta == 0 {
		return nil, fmt.Errorf("delta 0")
	}
	// ONNX's definition: max(ceil((limit − start)/delta), 0) values start + i·delta
	n := math.Ceil((limit - start) / delta)
	if math.IsNaN(n) || n > maxConstValues {
		return nil, fmt.Errorf("range from %g to %g by %g: more than %d values", start, limit, delta, maxConstValues)
	}
	n = max(n, 0) // also −Inf
	c := &constant{shape: []int{int(n)}, data: make([]float64, int(n)), isInt: in[0].isInt}
	for i := range c.data {
		c.data[i] = start + float64(i)*delta
	}
	return c, nil
}

func evalWhere(in []*constant) (*constant, error) {
	if len(in) != 3 || in[1] == nil || in[2] == nil {
		return nil, fmt.Errorf("want condition, X, Y")
	}
	cond, x, y := in[0], in[1], in[2]
	shape, err := broadcastShape(cond.shape, x.shape)
	if err == nil {
		shape, err = broadcastShape(shape, y.shape)
	}
	if err != nil {
		return nil, err
	}
	size, err := shapeSize(shape, constLimit(cond, x, y))
	if err != nil {
		return nil, err
	}
	st := strides(shape)
	c := &constant{shape: shape, data: make([]float64, size), isInt: x.isInt && y.isInt}
	for i := range c.data {
		if cond.data[bcIndex(i, shape, st, cond.shape)] != 0 {
			c.data[i] = x.data[bcIndex(i, shape, st, x.shape)]
		} else {
			c.data[i] = y.data[bcIndex(i, shape, st, y.shape)]
		}
	}
	return c, nil
}

// evalScatterND writes updates into a copy of data at the index tuples of indices.
func evalScatterND(in []*constant) (*constant, error) {
	if len(in) != 3 || in[1] == nil || in[2] == nil {
		return nil, fmt.Errorf("want data, indices, updates")
	}
	data, idx, upd := in[0], in[1], in[2]
	if len(idx.shape) == 0 {
		return nil, fmt.Errorf("scalar indices")
	}
	k := idx.shape[len(idx.shape)-1]
	if k > len(data.shape) {
		return nil, fmt.Errorf("index tuples of %d for rank %d", k, len(data.shape))
	}
	slice := numel(data.shape[k:])
	st := strides(data.shape)
	c := &constant{shape: data.shape, data: slices.Clone(data.data), isInt: data.isInt}
	n := len(idx.data) / max(k, 1)
	if len(upd.data) != n*slice {
		return nil, fmt.Errorf("%d updates for %d tuples of %d values", len(upd.data), n, slice)
	}
	for t := range n {
		off := 0
		for j := range k {
			i := int(idx.data[t*k+j])
			if i < 0 {
				i += data.shape[j]
			}
			if i < 0 || i >= data.shape[j] {
				return nil, fmt.Errorf("index %d out of range", i)
			}
			off += i * st[j]
		}
		copy(c.data[off:off+slice], upd.data[t*slice:(t+1)*slice])
	}
	return c, nil
}
