package model

import (
	"slices"

	"landscape/onnx"
)

// layerNormPattern recognises LayerNorm over the channels as opset 13 exports it, starting at
// the first ReduceMean nd over the channel axis of x:
//
//	m = ReduceMean(x); d = x − m; v = ReduceMean(d^2); y = d / √(v + ε)
//
// and emits an OpLayerNorm (γ and β come with the Mul and Add after it, absorbAffine).
func (im *importer) layerNormPattern(nd *onnx.NodeProto, x value) error {
	xn, m := nd.GetInput()[0], nd.GetOutput()[0]
	bad := func() error {
		return im.errorf(nd, "mean over the channels outside the LayerNorm pattern (ReduceMean, Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div)")
	}
	sub := im.only(m)
	if !isOp(sub, "Sub", m) || sub.GetInput()[0] != xn || sub.GetInput()[1] != m {
		return bad()
	}
	d := sub.GetOutput()[0]
	if im.uses[d] != 2 || len(im.consumers[d]) != 2 {
		return bad()
	}
	pow, div := im.consumers[d][0], im.consumers[d][1]
	if pow.GetOpType() != "Pow" {
		pow, div = div, pow
	}
	if !isOp(pow, "Pow", d) || pow.GetInput()[0] != d {
		return bad()
	}
	if two, ok := im.scalarConst(pow, 1); !ok || two != 2 {
		return bad()
	}
	rm := im.only(pow.GetOutput()[0])
	if !isOp(rm, "ReduceMean", pow.GetOutput()[0]) || !slices.Equal(rm.Ints("axes"), nd.Ints("axes")) {
		return bad()
	}
	add := im.only(rm.GetOutput()[0])
	if !isOp(add, "Add", rm.GetOutput()[0]) {
		return bad()
	}
	eps, ok := im.scalarConst(add, otherInput(add, rm.GetOutput()[0]))
	if !ok || !(eps > 0) {
		return bad()
	}
	sq := im.only(add.GetOutput()[0])
	if !isOp(sq, "Sqrt", add.GetOutput()[0]) {
		return bad()
	}
	if im.only(sq.GetOutput()[0]) != div || !isOp(div, "Div", d) || div.GetInput()[0] != d || div.GetInput()[1] != sq.GetOutput()[0] {
		return bad()
	}
	for _, n := range []*onnx.NodeProto{sub, pow, rm, add, sq, div} {
		im.absorbed[n] = true
	}
	im.emitNorm(div, x, float32Decimal(float32(eps)), "", "")
	return nil
}

// emitNorm emits an OpLayerNorm of x as nd's output; without γ and β, a Mul and an Add by
// parameters after it supply them.
func (im *importer) emitNorm(nd *onnx.NodeProto, x value, eps float64, gamma, beta string) {
	s := im.net.Slots[x.slot]
	im.emitAs(nd, Op{Kind: OpLayerNorm, In: x.slot, Eps: eps, Weight: gamma, Bias: beta}, s, x)
	if beta == "" && im.uses[nd.GetOutput()[0]] == 1 {
		im.lastNorm[len(im.net.Slots)-1] = len(im.net.Ops) - 1
	}
}

// layerNormalization imports opset 17's LayerNormalization over the channel axis (the last
// axis of an NHWC activation, or the features of a [N, C] or [N, C, 1, 1] one).
func (im *importer) layerNormalization(nd *onnx.NodeProto) error {
	x, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	s := im.net.Slots[x.slot]
	ax := int(nd.Int("axis", -1))
	if x.tok != nil && (axisOf(int64(ax), len(x.tok.axes)) != len(x.tok.axes)-1 || !im.lastIsChannels(x)) {
		return im.tokErr(nd, x, "layer normalisation over other than the features")
	}
	ok := x.tok != nil || x.nhwc && (ax == -1 || ax == 3) || (x.flat || s[1]*s[2] == 1) && (ax == 1 || ax == -1 && x.flat || ax == -3)
	if !ok {
		return im.errorf(nd, "normalisation from axis %d; only over the channels is supported", ax)
	}
	for _, o := range nd.GetOutput()[1:] {
		if o != "" {
			return im.errorf(nd, "mean and inverse standard deviation outputs are not supported")
		}
	}
	var names [2]string
	for i, kind := range []ParamKind{KindBNWeight, KindBNBias} {
		if len(nd.GetInput()) <= i+1 || nd.GetInput()[i+1] == "" {
			continue
		}
		if names[i], err = im.param(nd, nd.GetInput()[i+1], kind); err != nil {
			return err
		}
		if sh := im.params[names[i]].Shape; len(sh) != 1 || sh[0] != s[0] {
			return im.errorf(nd, "%q has shape %s; want [%d]", names[i], ShapeString(sh), s[0])
		}
	}
	if names[0] == "" {
		return im.errorf(nd, "no scale input")
	}
	im.emitNorm(nd, x, float32Decimal(nd.Float("epsilon", 1e-5)), names[0], names[1])
	return nil
}

// pixelLinear imports MatMul(x, W) on the channels of NHWC activation x (torch.nn.Linear on
// [N, H, W, C]) as a 1×1 convolution; an Add of a bias after it becomes its bias.
func (im *importer) pixelLinear(nd *onnx.NodeProto, x value) error {
	s := im.net.Slots[x.slot]
	c := im.constInput(nd, 1)
	if c == nil || len(c.shape) != 2 {
		return im.errorf(nd, "the second operand %q must be a 2D constant (the weight)", nd.GetInput()[1])
	}
	wname, trans, outF, err := im.linearWeight(nd, c, true, s[0], "channels")
	if err != nil {
		return err
	}
	im.emitAs(nd, Op{Kind: OpConv, In: x.slot, Weight: wname, TransW: trans, K: 1, Stride: 1}, [3]int{outF, s[1], s[2]}, x)
	if im.uses[nd.GetOutput()[0]] == 1 {
		im.lastLinear[len(im.net.Slots)-1] = len(im.net.Ops) - 1
	}
	return nil
}

// linearWeight returns the parameter of a Linear's weight operand c (input 1 of nd) over in
// features (what names them in an error): stored [in, out] when trans (an ONNX MatMul operand, or
// Gemm without transB), or the [out, in] tensor it is a transpose of (then trans is false), and
// the number of output features.
func (im *importer) linearWeight(nd *onnx.NodeProto, c *constant, trans bool, in int, what string) (string, bool, int, error) {
	wname := nd.GetInput()[1]
	if trans && c.transposeOf != "" && im.consts[c.transposeOf] != nil {
		wname, trans = c.transposeOf, false
	}
	wname, err := im.param(nd, wname, KindWeight)
	if err != nil {
		return "", false, 0, err
	}
	ws := im.params[wname].Shape
	outF, inF := ws[0], ws[1]
	if trans {
		outF, inF = ws[1], ws[0]
	}
	if inF != in {
		return "", false, 0, im.errorf(nd, "weight %q of shape %s for %d %s", wname, ShapeString(ws), in, what)
	}
	return wname, trans, outF, nil
}
