package model

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"landscape/onnx"
)

// ints2 reads a two-element integer attribute (kernel_shape, strides, dilations), def when absent.
func (im *importer) ints2(nd *onnx.NodeProto, name string, def [2]int) ([2]int, error) {
	v := nd.Ints(name)
	if v == nil {
		return def, nil
	}
	if len(v) != 2 || v[0] < 1 || v[1] < 1 {
		return def, im.errorf(nd, "attribute %s = %v; want two positive numbers (2D images)", name, v)
	}
	return [2]int{int(v[0]), int(v[1])}, nil
}

// window reads the geometry attributes of a Conv or pool node, kernel from the node or kdef,
// adding the padding v still carries.
func (im *importer) window(nd *onnx.NodeProto, v value, kdef [2]int) (Window, error) {
	if p := nd.Str("auto_pad", "NOTSET"); p != "NOTSET" && p != "VALID" {
		return Window{}, im.errorf(nd, "auto_pad %s is not supported; export with explicit padding", p)
	}
	k, err := im.ints2(nd, "kernel_shape", kdef)
	if err != nil {
		return Window{}, err
	}
	s, err := im.ints2(nd, "strides", [2]int{1, 1})
	if err != nil {
		return Window{}, err
	}
	d, err := im.ints2(nd, "dilations", [2]int{1, 1})
	if err != nil {
		return Window{}, err
	}
	w := Window{KH: k[0], KW: k[1], SH: s[0], SW: s[1], DH: d[0], DW: d[1], Ceil: nd.Int("ceil_mode", 0) != 0}
	if p := nd.Ints("pads"); p != nil {
		if len(p) != 4 || slices.Min(p) < 0 {
			return Window{}, im.errorf(nd, "pads %v; want four non-negative numbers (top, left, bottom, right)", p)
		}
		w.PadT, w.PadL, w.PadB, w.PadR = int(p[0]), int(p[1]), int(p[2]), int(p[3])
	}
	w.PadT += v.pad[0]
	w.PadL += v.pad[1]
	w.PadB += v.pad[2]
	w.PadR += v.pad[3]
	return w, nil
}

// outShape checks that the window leaves at least one output pixel.
func (im *importer) outShape(nd *onnx.NodeProto, w Window, in [3]int, c int) ([3]int, error) {
	oh, ow := w.OutSize(in[1], in[2])
	if oh < 1 || ow < 1 {
		return [3]int{}, im.errorf(nd, "a %dx%d window on a %dx%d input leaves no output", w.KH, w.KW, in[1], in[2])
	}
	return [3]int{c, oh, ow}, nil
}

func (im *importer) conv(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	if !v.plainLayout() {
		return im.errorf(nd, "reads a permuted or regrouped activation")
	}
	in := im.net.Slots[v.slot]
	if len(nd.GetInput()) < 2 {
		return im.errorf(nd, "no weight input")
	}
	wname, err := im.param(nd, nd.GetInput()[1], KindWeight)
	if err != nil {
		return err
	}
	ws := im.params[wname].Shape
	groups := int(nd.Int("group", 1))
	if len(ws) != 4 || groups < 1 || ws[1]*groups != in[0] || ws[0]%groups != 0 {
		return im.errorf(nd, "weight %q has shape %s with %d groups for an input of %d channels; want [out, %d/groups, kh, kw]",
			wname, ShapeString(ws), groups, in[0], in[0])
	}
	win, err := im.window(nd, v, [2]int{ws[2], ws[3]})
	if err != nil {
		return err
	}
	if win.KH != ws[2] || win.KW != ws[3] {
		return im.errorf(nd, "kernel_shape %dx%d differs from weight %q of shape %s", win.KH, win.KW, wname, ShapeString(ws))
	}
	out, err := im.outShape(nd, win, in, ws[0])
	if err != nil {
		return err
	}
	op := Op{Kind: OpConv, In: v.slot, Weight: wname}
	if len(nd.GetInput()) > 2 && nd.GetInput()[2] != "" {
		if op.Bias, err = im.param(nd, nd.GetInput()[2], KindBias); err != nil {
			return err
		}
		if bs := im.params[op.Bias].Shape; len(bs) != 1 || bs[0] != ws[0] {
			return im.errorf(nd, "bias %q has shape %s; want [%d]", op.Bias, ShapeString(bs), ws[0])
		}
	}
	if win.Square() && groups == 1 {
		op.K, op.Stride, op.Pad = win.KH, win.SH, win.PadT
	} else {
		op.Win, op.Groups = win, groups
	}
	im.emit(nd, op, out, false)
	return nil
}

func (im *importer) batchNorm(nd *onnx.NodeProto) error {
	v, err := im.plain(nd, 0)
	if err != nil {
		return err
	}
	s := im.net.Slots[v.slot]
	if v.flat && s[1]*s[2] > 1 {
		return im.errorf(nd, "batch norm over flattened %dx%dx%d features is not supported", s[0], s[1], s[2])
	}
	if nd.Int("training_mode", 0) != 0 || (len(nd.GetOutput()) > 1 && slices.ContainsFunc(nd.GetOutput()[1:], func(o string) bool { return o != "" })) {
		return im.errorf(nd, "batch norm in training mode; export the network in evaluation mode (net.eval())")
	}
	eps := float32Decimal(nd.Float("epsilon", 1e-5))
	if !(eps > 0) {
		return im.errorf(nd, "epsilon %g; want a positive number", eps)
	}
	if len(nd.GetInput()) != 5 {
		return im.errorf(nd, "%d inputs; want X, scale, B, mean, var", len(nd.GetInput()))
	}
	var names [4]string
	for i, kind := range []ParamKind{KindBNWeight, KindBNBias, KindRunningMean, KindRunningVar} {
		if names[i], err = im.param(nd, nd.GetInput()[i+1], kind); err != nil {
			return err
		}
		if sh := im.params[names[i]].Shape; len(sh) != 1 || sh[0] != s[0] {
			return im.errorf(nd, "%q has shape %s; want [%d]", names[i], ShapeString(sh), s[0])
		}
	}
	prefix := strings.TrimSuffix(names[0], ".weight")
	if prefix == "" {
		prefix = "bn"
	}
	im.emit(nd, Op{Kind: OpBatchNorm, In: v.slot, Prefix: prefix, BNNames: names, Eps: eps}, s, v.flat)
	return nil
}

func (im *importer) activation(nd *onnx.NodeProto) error {
	v, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	op := Op{In: v.slot}
	switch nd.GetOpType() {
	case "Relu":
		op.Kind = OpReLU
	case "Sigmoid":
		op.Kind = OpSigmoid
	case "Tanh":
		op.Kind = OpTanh
	case "HardSwish":
		op.Kind = OpHardSwish
	case "HardSigmoid":
		op.Kind, op.Alpha, op.Beta = OpHardSigmoid, nd.Float("alpha", 0.2), nd.Float("beta", 0.5)
	case "LeakyRelu":
		op.Kind, op.Alpha = OpLeakyReLU, nd.Float("alpha", 0.01)
	case "Clip":
		op.Kind, op.Lo, op.Hi = OpClip, float32(math.Inf(-1)), float32(math.Inf(1))
		for i, dst := range []*float32{&op.Lo, &op.Hi} {
			if len(nd.GetInput()) <= i+1 || nd.GetInput()[i+1] == "" {
				continue
			}
			c := im.constInput(nd, i+1)
			if c == nil || len(c.data) != 1 {
				return im.errorf(nd, "bound %q must be a scalar constant", nd.GetInput()[i+1])
			}
			*dst = float32(c.data[0])
		}
		if op.Lo == 0 && math.IsInf(float64(op.Hi), 1) {
			op.Kind = OpReLU
		}
	}
	im.emitAs(nd, op, im.net.Slots[v.slot], v)
	return nil
}

func (im *importer) concat(nd *onnx.NodeProto) error {
	for _, in := range nd.GetInput() {
		if v, ok := im.vals[in]; !ok || v.tok != nil {
			return im.tokConcat(nd)
		}
	}
	if v := im.vals[nd.GetInput()[0]]; v.nhwc {
		return im.nhwcConcat(nd, axisOf(nd.Int("axis", 1), 4))
	}
	if ax := nd.Int("axis", 1); ax != 1 && ax != -3 {
		return im.errorf(nd, "concatenation on axis %d; only channels (axis 1) are supported", ax)
	}
	op := Op{Kind: OpConcat}
	var out [3]int
	for i := range nd.GetInput() {
		v, err := im.plain(nd, i)
		if err != nil {
			return err
		}
		s := im.net.Slots[v.slot]
		if v.flat && s[1]*s[2] > 1 {
			return im.errorf(nd, "concatenation of flattened activations")
		}
		if i == 0 {
			out = s
		} else if s[1] != out[1] || s[2] != out[2] {
			return im.errorf(nd, "inputs of %dx%d and %dx%d pixels", out[1], out[2], s[1], s[2])
		} else {
			out[0] += s[0]
		}
		op.Ins = append(op.Ins, v.slot)
	}
	op.In = op.Ins[0]
	im.emit(nd, op, out, false)
	return nil
}

// pool imports a GlobalAveragePool, ReduceMean, MaxPool or AveragePool node: a mean over
// tokens (tokMean), a global average pool (globalPool, reduceMean) or a windowed pool
// (windowPool).
func (im *importer) pool(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	if !v.plainLayout() && nd.GetOpType() != "ReduceMean" {
		return im.errorf(nd, "reads a permuted or regrouped activation")
	}
	if v.tok != nil {
		return im.tokMean(nd, v)
	}
	switch nd.GetOpType() {
	case "GlobalAveragePool":
		return im.globalPool(nd, v)
	case "ReduceMean":
		return im.reduceMean(nd, v)
	}
	return im.windowPool(nd, v)
}

// globalPool emits the mean of each channel of v over all its pixels (OpGlobalAvgPool),
// flattened where a ReduceMean drops the reduced axes (keepdims 0).
func (im *importer) globalPool(nd *onnx.NodeProto, v value) error {
	in := im.net.Slots[v.slot]
	if v.pad != [4]int{} {
		return im.errorf(nd, "reads the output of a Pad node")
	}
	im.emit(nd, Op{Kind: OpGlobalAvgPool, In: v.slot}, [3]int{in[0], 1, 1}, nd.GetOpType() == "ReduceMean" && nd.Int("keepdims", 1) == 0)
	return nil
}

// reduceMean imports a ReduceMean: over the channel axis, the first node of a layer
// normalization (layerNormPattern); over both spatial axes, a global average pool.
func (im *importer) reduceMean(nd *onnx.NodeProto, v value) error {
	axes := nd.Ints("axes")
	if len(axes) == 1 && channelAxis(v, int(axes[0])) && nd.Int("keepdims", 1) == 1 && v.pad == [4]int{} && v.groups == [2]int{} && !v.flat {
		return im.layerNormPattern(nd, v)
	}
	if !v.plainLayout() {
		return im.errorf(nd, "mean over axes %v of a permuted or regrouped activation", axes)
	}
	slices.Sort(axes)
	if !slices.Equal(axes, []int64{2, 3}) && !slices.Equal(axes, []int64{-2, -1}) {
		return im.errorf(nd, "mean over axes %v; only the spatial mean (axes 2, 3) is supported", axes)
	}
	return im.globalPool(nd, v)
}

// windowPool imports a MaxPool or AveragePool over windows of v. A max pool over
// non-overlapping k×k windows is the zoo's OpMaxPool (K, Stride); any other window goes
// in Op.Win. An average pool counts the padding of a Pad node before it (CountPad), and one
// whose single window covers the whole unpadded image is a global average pool.
func (im *importer) windowPool(nd *onnx.NodeProto, v value) error {
	typ := nd.GetOpType()
	in := im.net.Slots[v.slot]
	if len(nd.GetOutput()) > 1 && nd.GetOutput()[1] != "" {
		return im.errorf(nd, "max pooling with indices is not supported")
	}
	if nd.Int("storage_order", 0) != 0 {
		return im.errorf(nd, "storage_order 1 is not supported")
	}
	if typ == "MaxPool" && v.pad != [4]int{} {
		return im.errorf(nd, "reads the output of a Pad node (zero padding before a max pool)")
	}
	if nd.Attr("kernel_shape") == nil {
		return im.errorf(nd, "no kernel_shape")
	}
	win, err := im.window(nd, v, [2]int{})
	if err != nil {
		return err
	}
	out, err := im.outShape(nd, win, in, in[0])
	if err != nil {
		return err
	}
	if typ == "MaxPool" {
		if win.DH != 1 || win.DW != 1 {
			return im.errorf(nd, "dilated max pooling is not supported")
		}
		op := Op{Kind: OpMaxPool, In: v.slot}
		k := win.KH
		if win.KW == k && win.SH == k && win.SW == k && win.padArray() == [4]int{} && (win.Ceil || (in[1]%k == 0 && in[2]%k == 0)) {
			op.K, op.Stride = k, k // the zoo's pool: non-overlapping windows, the last one clipped
		} else {
			op.Win = win
		}
		im.emit(nd, op, out, false)
		return nil
	}
	win.CountPad = nd.Int("count_include_pad", 0) != 0 || v.pad != [4]int{}
	if nd.Int("count_include_pad", 0) == 0 && v.pad != [4]int{} && slices.ContainsFunc(nd.Ints("pads"), func(p int64) bool { return p != 0 }) {
		return im.errorf(nd, "padding of its own (count_include_pad 0) after a Pad node")
	}
	if out[1] == 1 && out[2] == 1 && win.KH == in[1] && win.KW == in[2] && win.padArray() == [4]int{} {
		return im.globalPool(nd, v)
	}
	im.emit(nd, Op{Kind: OpAvgPool, In: v.slot, Win: win}, out, false)
	return nil
}

func (w Window) padArray() [4]int { return [4]int{w.PadT, w.PadL, w.PadB, w.PadR} }

func (im *importer) linear(nd *onnx.NodeProto) error {
	if a, ok := im.vals[nd.GetInput()[0]]; ok && len(nd.GetInput()) > 1 {
		b, both := im.vals[nd.GetInput()[1]]
		switch {
		case both && nd.GetOpType() == "MatMul":
			if a.pad != [4]int{} || b.pad != [4]int{} || a.groups != [2]int{} || b.groups != [2]int{} {
				return im.errorf(nd, "matrix product of padded or regrouped activations")
			}
			return im.tokMatMul(nd, a, b)
		case a.tok != nil:
			return im.tokLinear(nd, a)
		}
	}
	if v, err := im.act(nd, 0); err == nil && v.nhwc && v.pad == [4]int{} && nd.GetOpType() == "MatMul" {
		return im.pixelLinear(nd, v)
	}
	v, err := im.plain(nd, 0)
	if err != nil {
		return err
	}
	in := im.net.Slots[v.slot]
	if len(nd.GetInput()) < 2 {
		return im.errorf(nd, "no weight input")
	}
	c := im.constInput(nd, 1)
	if c == nil || len(c.shape) != 2 {
		return im.errorf(nd, "the second operand %q must be a 2D constant (the weight)", nd.GetInput()[1])
	}
	trans := true // B stored [in, out]
	if nd.GetOpType() == "Gemm" {
		if nd.Int("transA", 0) != 0 || nd.Float("alpha", 1) != 1 || nd.Float("beta", 1) != 1 {
			return im.errorf(nd, "Gemm with transA, alpha or beta other than 0, 1, 1 is not supported")
		}
		trans = nd.Int("transB", 0) == 0
	} else if !v.flat && in[1]*in[2] > 1 {
		return im.errorf(nd, "matrix product of a [C, H, W] activation; flatten it first")
	}
	wname := nd.GetInput()[1]
	if trans && c.transposeOf != "" && im.consts[c.transposeOf] != nil {
		wname, trans = c.transposeOf, false // MatMul(x, Transpose(W)): the Linear weight W itself
	}
	if wname, err = im.param(nd, wname, KindWeight); err != nil {
		return err
	}
	ws := im.params[wname].Shape
	outF, inF := ws[0], ws[1]
	if trans {
		outF, inF = ws[1], ws[0]
	}
	if inF != in[0]*in[1]*in[2] {
		return im.errorf(nd, "weight %q of shape %s for %d input features", wname, ShapeString(ws), in[0]*in[1]*in[2])
	}
	op := Op{Kind: OpLinear, In: v.slot, Weight: wname, TransW: trans}
	if b := im.constInput(nd, 2); b != nil && nd.GetOpType() == "Gemm" {
		if op.Bias, err = im.param(nd, nd.GetInput()[2], KindBias); err != nil {
			return err
		}
		if bs := im.params[op.Bias].Shape; len(bs) != 1 || bs[0] != outF {
			return im.errorf(nd, "bias %q has shape %s; want [%d]", op.Bias, ShapeString(bs), outF)
		}
	} else if len(nd.GetInput()) > 2 && nd.GetInput()[2] != "" {
		return im.errorf(nd, "bias %q must be a constant", nd.GetInput()[2])
	}
	im.emit(nd, op, [3]int{outF, 1, 1}, true)
	if op.Bias == "" && im.uses[nd.GetOutput()[0]] == 1 {
		im.lastLinear[len(im.net.Slots)-1] = len(im.net.Ops) - 1
	}
	return nil
}

func (im *importer) pad(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	if !v.plainLayout() && !(v.nhwc && v.tok == nil && v.pad == [4]int{}) {
		return im.errorf(nd, "reads a permuted or regrouped activation")
	}
	if m := nd.Str("mode", "constant"); m != "constant" {
		return im.errorf(nd, "%s padding is not supported (only zeros)", m)
	}
	var pads []float64
	if p := nd.Ints("pads"); p != nil {
		for _, x := range p {
			pads = append(pads, float64(x))
		}
	} else if c := im.constInput(nd, 1); c != nil {
		pads = c.data
	}
	if len(pads) != 8 {
		return im.errorf(nd, "pads %v; want 8 constant numbers for an [N, C, H, W] input", pads)
	}
	if c := im.constInput(nd, 2); c != nil && len(c.data) > 0 && c.data[0] != 0 {
		return im.errorf(nd, "padding value %v; only zeros are supported", c.data[0])
	}
	if v.nhwc {
		return im.nhwcPad(nd, v, pads)
	}
	if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 || slices.Min(pads) < 0 {
		return im.errorf(nd, "pads %v; only non-negative padding of height and width is supported", pads)
	}
	v.pad[0] += int(pads[2])
	v.pad[1] += int(pads[3])
	v.pad[2] += int(pads[6])
	v.pad[3] += int(pads[7])
	im.vals[nd.GetOutput()[0]] = v
	return nil
}

// float32Decimal returns the float32 attribute f as the shortest decimal that rounds to it (the
// value the exporter wrote: PyTorch's eps=1e-3 is the double 0.001, stored as float32
// 0.0010000000474…).
func float32Decimal(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}
