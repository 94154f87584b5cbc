package model

import (
	"math"
	"slices"

	"landscape/onnx"
)

// Element-wise arithmetic of activations, and the patterns an export writes for one layer:
// SiLU (Sigmoid, Mul), HardSwish at opset 13 (HardSigmoid, Mul), GELU (Div by √2, Erf, Add 1,
// Mul, Mul by ½) and its tanh approximation, LayerNorm at opset 13 (ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div;
// then Mul γ, Add β), LayerNormalization at opset 17, and MatMul on the channels of an NHWC
// activation (a Linear per pixel: a 1×1 convolution).

// binary imports Add, Sub, Mul and Div.
func (im *importer) binary(nd *onnx.NodeProto) error {
	if len(nd.GetInput()) != 2 {
		return im.errorf(nd, "%d inputs; want 2", len(nd.GetInput()))
	}
	_, act0 := im.vals[nd.GetInput()[0]]
	_, act1 := im.vals[nd.GetInput()[1]]
	if act0 && act1 {
		return im.binaryActs(nd)
	}
	i := 0 // the activation's input
	if act1 {
		i = 1
	}
	v, err := im.elementwise(nd, i)
	if err != nil {
		return err
	}
	c := im.constInput(nd, 1-i)
	if c == nil {
		return im.errorf(nd, "operand %q is neither an activation nor a constant", nd.GetInput()[1-i])
	}
	typ := nd.GetOpType()
	if typ == "Div" && i == 0 && len(c.data) == 1 && math.Abs(c.data[0]-math.Sqrt2) < 1e-6 && im.gelu(nd, v) {
		return nil
	}
	if done, err := im.absorbAffine(nd, v, c, nd.GetInput()[1-i]); done || err != nil {
		return err
	}
	if v.tok != nil && len(c.data) > 1 {
		return im.tokArith(nd, v, c, i == 1)
	}
	return im.arith(nd, v, c, i == 1)
}

// absorbAffine makes an Add of a 1D constant the bias of the bias-less linear layer (or 1×1
// convolution of a MatMul) before it, and a Mul (Add) by a parameter the γ (β) of the
// LayerNorm before it, when nothing else reads that layer's output.
func (im *importer) absorbAffine(nd *onnx.NodeProto, v value, c *constant, input string) (bool, error) {
	typ, s := nd.GetOpType(), im.net.Slots[v.slot]
	name := c.param
	if name == "" {
		name = c.viewOf
	}
	if j, ok := im.lastLinear[v.slot]; ok && typ == "Add" {
		if name == "" || len(im.consts[name].shape) > 1 {
			name = input // a computed bias: a parameter under its value's name
		}
		bias, err := im.param(nd, name, KindBias)
		if err != nil {
			return true, err
		}
		if bs := im.params[bias].Shape; len(bs) != 1 || bs[0] != s[0] {
			return true, im.errorf(nd, "bias %q has shape %s; want [%d]", bias, ShapeString(bs), s[0])
		}
		im.net.Ops[j].Bias = bias
		delete(im.lastLinear, v.slot)
		im.vals[nd.GetOutput()[0]] = v
		return true, nil
	}
	j, ok := im.lastNorm[v.slot]
	if !ok || name == "" || len(c.data) != s[0] || (typ != "Mul" && typ != "Add") {
		return false, nil
	}
	op := &im.net.Ops[j]
	switch {
	case typ == "Mul" && op.Weight == "" && op.Bias == "":
		w, err := im.param(nd, name, KindBNWeight)
		if err != nil {
			return true, err
		}
		op.Weight = w
	case typ == "Add" && op.Bias == "":
		b, err := im.param(nd, name, KindBNBias)
		if err != nil {
			return true, err
		}
		op.Bias = b
		delete(im.lastNorm, v.slot)
	default:
		return false, nil
	}
	im.vals[nd.GetOutput()[0]] = v
	return true, nil
}

// arith emits an OpArith: activation v with constant c, one value or one per channel (of the
// layout v is seen in); a parameter (an initializer, or a reshaped view of one: a layer scale)
// is scanned as one, any other constant kept in the op.
func (im *importer) arith(nd *onnx.NodeProto, v value, c *constant, rev bool) error {
	s := im.net.Slots[v.slot]
	shape := slices.Clone(c.shape)
	for len(shape) > 0 && shape[0] == 1 && len(shape) > 1 {
		shape = shape[1:]
	}
	var perChannel bool
	switch {
	case len(c.data) == 1:
	case v.nhwc || (v.flat && s[1]*s[2] == 1):
		perChannel = len(shape) >= 1 && shape[len(shape)-1] == s[0] && len(c.data) == s[0]
	default:
		perChannel = len(shape) == 3 && shape[0] == s[0] && shape[1] == 1 && shape[2] == 1
	}
	if len(c.data) != 1 && !perChannel {
		return im.errorf(nd, "constant of shape %s with an activation of %d channels; want one value or one per channel",
			ShapeString(c.shape), s[0])
	}
	return im.emitArith(nd, v, c, rev, s)
}

// emitArith emits v ∘ c (c ∘ v when rev, for − and ÷), ∘ the node's Add, Sub, Mul or Div, as an
// OpArith with output shape s: c a parameter (its own, or the one it is a view of; ≤1-dim ones
// are biases to the directions) or, when no parameter holds it, a constant of the op.
func (im *importer) emitArith(nd *onnx.NodeProto, v value, c *constant, rev bool, s [3]int) error {
	op := Op{Kind: OpArith, In: v.slot, Arith: map[string]byte{"Add": '+', "Sub": '-', "Mul": '*', "Div": '/'}[nd.GetOpType()]}
	op.Rev = rev && (op.Arith == '-' || op.Arith == '/')
	name := c.param
	if name == "" {
		name = c.viewOf
	}
	if name != "" && !c.isInt {
		kind := KindWeight
		if len(im.consts[name].shape) <= 1 {
			kind = KindBias
		}
		w, err := im.param(nd, name, kind)
		if err != nil {
			return err
		}
		op.Weight = w
	} else {
		op.Const = c.float32s()
	}
	im.emitAs(nd, op, s, v)
	return nil
}

// binaryActs imports Add and Mul of two activations: equal shapes and layouts, or (Mul) a
// [C, 1, 1] factor per channel. x·σ(x) becomes SiLU and x·HardSigmoid(x) (α = 1/6, β = ½)
// HardSwish, when nothing else reads the sigmoid.
func (im *importer) binaryActs(nd *onnx.NodeProto) error {
	typ := nd.GetOpType()
	if typ != "Add" && typ != "Mul" {
		return im.errorf(nd, "%s of two activations is not supported", typ)
	}
	a, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	b, err := im.elementwise(nd, 1)
	if err != nil {
		return err
	}
	if typ == "Mul" && (im.fuseGate(nd, a, b, 1) || im.fuseGate(nd, b, a, 0)) {
		return nil
	}
	if typ == "Mul" && nd.GetInput()[0] == nd.GetInput()[1] && im.geluTanh(nd, a) {
		return nil
	}
	if a.tok != nil || b.tok != nil {
		return im.tokBinary(nd, a, b)
	}
	sa, sb := im.net.Slots[a.slot], im.net.Slots[b.slot]
	kind := OpAdd
	if typ == "Mul" {
		kind = OpMul
		if sa[1]*sa[2] == 1 && sb[1]*sb[2] > 1 {
			a, b, sa, sb = b, a, sb, sa // the [C,1,1] factor second
		}
		if sb[0] == sa[0] && sb[1]*sb[2] == 1 && !a.nhwc {
			sb = sa
		}
	}
	if sa != sb || (a.flat != b.flat && sa[1]*sa[2] > 1) || a.nhwc != b.nhwc {
		return im.errorf(nd, "operands of shapes [%d, %d, %d] and [%d, %d, %d]; want equal shapes and layouts (or, for Mul, [C, 1, 1] scaling [C, H, W])",
			sa[0], sa[1], sa[2], sb[0], sb[1], sb[2])
	}
	im.emitAs(nd, Op{Kind: kind, In: a.slot, In2: b.slot}, sa, a)
	return nil
}

// fuseGate turns x·g(x), g the Sigmoid (HardSigmoid with α = 1/6, β = ½) op that computed
// input gi of nd from x, read by nothing else, into that op as SiLU (HardSwish).
func (im *importer) fuseGate(nd *onnx.NodeProto, x, gate value, gi int) bool {
	n := len(im.net.Ops)
	if n == 0 || im.uses[nd.GetInput()[gi]] != 1 || x.slot == gate.slot {
		return false
	}
	op := &im.net.Ops[n-1] // the gate must be the op just emitted: nothing else read it yet
	if op.Out != gate.slot || op.In != x.slot {
		return false
	}
	switch {
	case op.Kind == OpSigmoid:
		op.Kind = OpSiLU
	case op.Kind == OpHardSigmoid && math.Abs(float64(op.Alpha)-1.0/6) < 1e-6 && op.Beta == 0.5:
		op.Kind, op.Alpha, op.Beta = OpHardSwish, 0, 0
	default:
		return false
	}
	im.vals[nd.GetOutput()[0]] = x.withSlot(gate.slot)
	return true
}

// withSlot is v's layout on slot s.
func (v value) withSlot(s int) value { v.slot = s; return v }

// only returns the single node reading value name, or nil (several readers, or a graph output).
func (im *importer) only(name string) *onnx.NodeProto {
	if im.uses[name] != 1 || len(im.consumers[name]) != 1 {
		return nil
	}
	return im.consumers[name][0]
}

// isOp reports whether nd is an op of type typ reading value x as one of its inputs.
func isOp(nd *onnx.NodeProto, typ, x string) bool {
	return nd != nil && nd.GetOpType() == typ && slices.Contains(nd.GetInput(), x)
}

// otherInput returns the input of a two-input node other than x.
func otherInput(nd *onnx.NodeProto, x string) int {
	if nd.GetInput()[0] == x {
		return 1
	}
	return 0
}

// gelu recognises x/√2 → Erf → +1 → ·x → ·½ starting at the Div nd, and emits OpGELU.
func (im *importer) gelu(nd *onnx.NodeProto, x value) bool {
	xn, d := nd.GetInput()[0], nd.GetOutput()[0]
	e := im.only(d)
	if !isOp(e, "Erf", d) {
		return false
	}
	a := im.only(e.GetOutput()[0])
	if !isOp(a, "Add", e.GetOutput()[0]) {
		return false
	}
	if one, ok := im.scalarConst(a, otherInput(a, e.GetOutput()[0])); !ok || one != 1 {
		return false
	}
	m := im.only(a.GetOutput()[0])
	if !isOp(m, "Mul", a.GetOutput()[0]) || m.GetInput()[otherInput(m, a.GetOutput()[0])] != xn {
		return false
	}
	h := im.only(m.GetOutput()[0])
	if !isOp(h, "Mul", m.GetOutput()[0]) {
		return false
	}
	if half, ok := im.scalarConst(h, otherInput(h, m.GetOutput()[0])); !ok || half != 0.5 {
		return false
	}
	for _, n := range []*onnx.NodeProto{e, a, m, h} {
		im.absorbed[n] = true
	}
	im.emitAs(h, Op{Kind: OpGELU, In: x.slot}, im.net.Slots[x.slot], x)
	return true
}

// geluTanh recognises GELU's tanh approximation as PyTorch exports it, starting at the Mul nd
// of x by itself: x·x → ·x → ·0.044715 → +x → ·√(2/π) → Tanh → +1 → ·x → ·½, and emits
// OpGELUTanh.
func (im *importer) geluTanh(nd *onnx.NodeProto, x value) bool {
	xn := nd.GetInput()[0]
	cur := nd.GetOutput()[0]
	var chain []*onnx.NodeProto
	// step follows cur to its only reader, of type typ, whose other input is x (act) or the
	// scalar want (want ≠ 0; within 1e-6 relative).
	step := func(typ string, act bool, want float64) bool {
		n := im.only(cur)
		if !isOp(n, typ, cur) {
			return false
		}
		if typ != "Tanh" {
			o := otherInput(n, cur)
			if act && n.GetInput()[o] != xn {
				return false
			}
			if !act {
				v, ok := im.scalarConst(n, o)
				if !ok || math.Abs(v-want) > 1e-6*math.Abs(want) {
					return false
				}
			}
		}
		chain = append(chain, n)
		cur = n.GetOutput()[0]
		return true
	}
	if !(step("Mul", true, 0) && step("Mul", false, 0.044715) && step("Add", true, 0) && step("Mul", false, math.Sqrt(2/math.Pi)) &&
		step("Tanh", false, 0) && step("Add", false, 1) && step("Mul", true, 0) && step("Mul", false, 0.5)) {
		return false
	}
	for _, n := range chain {
		im.absorbed[n] = true
	}
	im.emitAs(chain[len(chain)-1], Op{Kind: OpGELUTanh, In: x.slot}, im.net.Slots[x.slot], x)
	return true
}
