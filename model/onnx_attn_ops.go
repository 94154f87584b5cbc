package model

import (
	"slices"

	"landscape/onnx"
)

// The nodes of transformers on token views (onnx_attn.go).

// tokReshape follows a Reshape of v to target (batch 1) and alt (batch 2; nil when the target
// does not depend on the batch) as a regrouping of v's atoms, splitting a channel factor where
// the target splits it (features into heads).
func (im *importer) tokReshape(nd *onnx.NodeProto, v value, target, alt []int) error {
	v = im.asTok(v)
	t := v.tok.clone()
	v.tok = t
	im.factorPixels(v)
	in := im.tokDims(v, 1)
	t1, ok := reshapeDims(in, target)
	if !ok {
		return im.tokErr(nd, v, "reshape to "+shapeStr(target))
	}
	bAxis := im.batchAxis(v, target, alt)
	var seq []atom
	for _, ax := range t.axes {
		seq = append(seq, im.sized(v, ax)...)
	}
	out := make([][]atom, len(t1))
	j, prod := 0, 1
	for len(seq) > 0 {
		a := seq[0]
		seq = seq[1:]
		if a.kind == 'N' {
			for j < bAxis && prod == t1[j] {
				j, prod = j+1, 1
			}
			if j != bAxis {
				return im.tokErr(nd, v, "reshape (the batch moves) to "+shapeStr(target))
			}
			out[j] = append(out[j], a)
			continue
		}
		size := im.size(v, a)
		for j < len(t1)-1 && prod == t1[j] && (j != bAxis || slices.Contains(out[j], atom{'N', 0}) || !slices.Contains(seq, atom{'N', 0})) {
			j, prod = j+1, 1
		}
		need := t1[j] / prod
		switch {
		case t1[j]%prod == 0 && need%size == 0:
			out[j] = append(out[j], a)
			prod *= size
		case (a.kind == 'C' || a.kind == 'P') && need > 1 && size%need == 0: // need 1: the batch comes later in the sequence than its axis allows
			hi, lo := t.split(a, need)
			renumber(seq, a)
			for _, o := range out {
				renumber(o, a)
			}
			out[j] = append(out[j], hi)
			prod *= need
			seq = append([]atom{lo}, seq...)
		default:
			return im.tokErr(nd, v, "reshape to "+shapeStr(target))
		}
	}
	v.tok.axes = out
	w, err := im.inOrder(nd, v)
	if err != nil {
		return err
	}
	im.vals[nd.GetOutput()[0]] = im.classic(w)
	return nil
}

// reshapeDims resolves ONNX Reshape's target for an input of dims in: 0 copies the input's
// dimension, one −1 takes what is left; ok is false when the element counts differ or a
// dimension is otherwise below 1.
func reshapeDims(in, target []int) (dims []int, ok bool) {
	numel := 1
	for _, d := range in {
		numel *= d
	}
	dims = slices.Clone(target)
	known, free := 1, -1
	for j, d := range dims {
		switch {
		case d == 0 && j < len(in):
			dims[j] = in[j]
		case d == -1 && free < 0:
			free = j
			continue
		case d < 1:
			return nil, false
		}
		known *= dims[j]
	}
	if free >= 0 && known > 0 {
		dims[free] = numel / known
		known *= dims[free]
	}
	return dims, known == numel
}

// renumber shifts the atoms of a's kind after it by one (a was split in two).
func renumber(atoms []atom, a atom) {
	for k := range atoms {
		if atoms[k].kind == a.kind && atoms[k].i > a.i {
			atoms[k].i++
		}
	}
}

// split refines channel or pixel factor a into two, outer of size outer, and returns their
// atoms (later factors renumbered).
func (t *tokView) split(a atom, outer int) (hi, lo atom) {
	f, i := &t.chans, a.i
	if a.kind == 'P' {
		f = &t.pix
	}
	c := (*f)[i]
	*f = slices.Insert(*f, i+1, c/outer)
	(*f)[i] = outer
	for _, ax := range t.axes {
		for k := range ax {
			if ax[k].kind == a.kind && ax[k].i > i {
				ax[k].i++
			}
		}
	}
	return atom{a.kind, i}, atom{a.kind, i + 1}
}

// batchAxis is the axis of a Reshape target holding the batch: the one that doubles in the
// shadow evaluation, else one copied (0) from the input's batch axis, else axis 0.
func (im *importer) batchAxis(v value, target, alt []int) int {
	if len(alt) == len(target) {
		for j := range target {
			if target[j] > 0 && alt[j] == 2*target[j] {
				return j
			}
		}
		for j := range target {
			if target[j] == -1 {
				return j
			}
		}
	}
	for j, d := range target {
		if d == 0 && j < len(v.tok.axes) && slices.Contains(v.tok.axes[j], atom{'N', 0}) {
			return j
		}
	}
	return 0
}

func shapeStr(s []int) string { return ShapeString(s) }

// tokTranspose permutes v's logical axes (no copy).
func (im *importer) tokTranspose(nd *onnx.NodeProto, v value, perm []int64) error {
	v = im.asTok(v)
	t := v.tok.clone()
	if len(perm) != len(t.axes) {
		return im.tokErr(nd, v, "transpose by "+shapeStr(toInts(perm)))
	}
	axes := make([][]atom, len(perm))
	for i, p := range perm {
		if p < 0 || int(p) >= len(t.axes) {
			return im.tokErr(nd, v, "transpose by "+shapeStr(toInts(perm)))
		}
		axes[i] = t.axes[p]
	}
	t.axes = axes
	v.tok = t
	im.vals[nd.GetOutput()[0]] = im.classic(v)
	return nil
}

func toInts(a []int64) []int {
	out := make([]int, len(a))
	for i, x := range a {
		out[i] = int(x)
	}
	return out
}

// axisOf normalises axis a of a view with rank axes.
func axisOf(a int64, rank int) int {
	if a < 0 {
		a += int64(rank)
	}
	return int(a)
}

// softmax imports Softmax over the last axis of a token view: the innermost channel factors
// (the keys of attention scores, or the features of a sequence).
func (im *importer) softmax(nd *onnx.NodeProto) error {
	v, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	v = im.asTok(v)
	rank := len(v.tok.axes)
	def := int64(-1)
	if im.opset < 13 {
		def = 1
	}
	if axisOf(nd.Int("axis", def), rank) != rank-1 {
		return im.tokErr(nd, v, "softmax on an axis other than the last")
	}
	heads, ok := im.channelSuffix(v, v.tok.axes[rank-1])
	if !ok {
		return im.tokErr(nd, v, "softmax over an axis that is not the innermost channels")
	}
	im.emitTok(nd, Op{Kind: OpSoftmax, In: v.slot, Heads: heads}, im.net.Slots[v.slot], v.tok.clone())
	return nil
}

// pixelAxis returns the axis of v holding all its pixels (and nothing else but the batch), or -1.
func (im *importer) pixelAxis(v value) int {
	for j, ax := range v.tok.axes {
		var rest []atom
		for _, a := range ax {
			if a.kind != 'N' {
				rest = append(rest, a)
			}
		}
		if im.pixelsOnly(v, rest) && len(rest) == len(im.sized(v, ax)) {
			return j
		}
	}
	return -1
}

// selectPixels emits an OpPixels taking pixels perm of v (its pixel axis ax) as nd's output;
// keep false drops the axis (Gather of one index).
func (im *importer) selectPixels(nd *onnx.NodeProto, v value, ax int, perm []int, keep bool) {
	t := v.tok.clone()
	t.pix = nil // the new slot's pixels: rows only
	s := im.net.Slots[v.slot]
	if !keep {
		t.axes = slices.Delete(t.axes, ax, ax+1)
	} else {
		t.axes[ax] = []atom{{'H', 0}}
	}
	im.emitTok(nd, Op{Kind: OpPixels, In: v.slot, Perm: perm}, [3]int{s[0], len(perm), 1}, t)
}

// gather imports Gather of tokens (x[:, 0]: the class token) by constant indices.
func (im *importer) gather(nd *onnx.NodeProto) error {
	v, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	idx := im.constInput(nd, 1)
	if idx == nil {
		return im.errorf(nd, "indices %q are not a constant", nd.GetInput()[1])
	}
	v = im.asTok(v)
	ax := axisOf(nd.Int("axis", 0), len(v.tok.axes))
	if ax < 0 || ax >= len(v.tok.axes) {
		return im.errorf(nd, "axis %d of a rank-%d tensor", nd.Int("axis", 0), len(v.tok.axes))
	}
	if at := im.sized(v, v.tok.axes[ax]); len(at) == 1 && at[0].kind == 'C' && len(idx.data) == 1 {
		return im.gatherChannels(nd, v, ax, at[0], idx)
	}
	if ax != im.pixelAxis(v) || slices.Contains(v.tok.axes[ax], atom{'N', 0}) {
		return im.tokErr(nd, v, "gather on an axis other than the tokens")
	}
	n := im.tokDims(v, 1)[ax]
	var perm []int
	for _, i := range idx.ints() {
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return im.errorf(nd, "index %d out of range for %d tokens", i, n)
		}
		perm = append(perm, i)
	}
	im.selectPixels(nd, v, ax, perm, len(idx.shape) > 0)
	return nil
}

// gatherChannels imports Gather of one index along an axis that is channel factor a (q, k or
// v of qkv [3, N, h, T, d]): the channels whose coordinate along a is the index, as an
// OpChannels; the axis is dropped (kept with size 1 when the indices are a 1-vector).
func (im *importer) gatherChannels(nd *onnx.NodeProto, v value, ax int, a atom, idx *constant) error {
	n := v.tok.chans[a.i]
	i := idx.ints()[0]
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return im.errorf(nd, "index %d out of range for an axis of %d", idx.ints()[0], n)
	}
	stride := im.stride(v, a)
	s := im.net.Slots[v.slot]
	var perm []int
	for c := range s[0] {
		if c/stride%n == i {
			perm = append(perm, c)
		}
	}
	t := v.tok.clone()
	t.chans = slices.Delete(t.chans, a.i, a.i+1)
	for k, x := range t.axes {
		var keep []atom
		for _, b := range x {
			switch {
			case b == a:
			case b.kind == 'C' && b.i > a.i:
				keep = append(keep, atom{'C', b.i - 1})
			default:
				keep = append(keep, b)
			}
		}
		t.axes[k] = keep
	}
	if len(idx.shape) == 0 {
		t.axes = slices.Delete(t.axes, ax, ax+1)
	}
	im.emitTok(nd, Op{Kind: OpChannels, In: v.slot, Perm: perm}, [3]int{len(perm), s[1], s[2]}, t)
	return nil
}

// tokSlice imports Slice of a token view along its last axis (all channels: q, k and v of a
// joint projection) or its tokens.
func (im *importer) tokSlice(nd *onnx.NodeProto, v value, axes, starts, ends, steps []int) error {
	if len(axes) != 1 {
		return im.tokErr(nd, v, "slice on several axes")
	}
	rank := len(v.tok.axes)
	ax := axisOf(int64(axes[0]), rank)
	if ax < 0 || ax >= rank {
		return im.errorf(nd, "axis %d of a rank-%d tensor", axes[0], rank)
	}
	n := im.tokDims(v, 1)[ax]
	perm := sliceAxis(n, starts[0], ends[0], steps[0])
	switch {
	case len(perm) == 0:
		return im.tokErr(nd, v, "empty slice")
	case ax == rank-1 && im.lastIsChannels(v):
		s := im.net.Slots[v.slot]
		im.emitTok(nd, Op{Kind: OpChannels, In: v.slot, Perm: perm}, [3]int{len(perm), s[1], s[2]}, withChannels(v.tok, len(perm)))
	case ax == im.pixelAxis(v) && !slices.Contains(v.tok.axes[ax], atom{'N', 0}):
		im.selectPixels(nd, v, ax, perm, true)
	default:
		return im.tokErr(nd, v, "slice on an axis other than the features or tokens")
	}
	return nil
}

// tokConcat imports Concat on the token axis of parameters (class and distillation tokens,
// [1, k, D]; expanded to the batch at load time) and then one token sequence [N, T, D]: one
// OpCatTokens per parameter, the last first.
func (im *importer) tokConcat(nd *onnx.NodeProto) error {
	ins := nd.GetInput()
	v, ok := im.vals[ins[len(ins)-1]]
	if !ok {
		return im.errorf(nd, "concatenation on the token axis: the last input must be the tokens computed from the image")
	}
	v = im.asTok(v)
	ax := axisOf(nd.Int("axis", 1), len(v.tok.axes))
	if ax != im.pixelAxis(v) || len(v.tok.axes) != 3 || ax != 1 || !im.lastIsChannels(v) {
		return im.tokErr(nd, v, "concatenation on an axis other than the tokens of [N, T, D]")
	}
	c := im.net.Slots[v.slot][0]
	for i := len(ins) - 2; i >= 0; i-- {
		k := im.consts[ins[i]]
		name := ""
		if k != nil {
			name = k.param
			if name == "" {
				name = k.viewOf
			}
		}
		if name == "" || k.isInt || len(k.shape) != 3 || k.shape[0] != 1 || k.shape[2] != c {
			return im.errorf(nd, "input %q: want a parameter of shape [1, k, %d] (class or distillation tokens) before the image's tokens", ins[i], c)
		}
		w, err := im.param(nd, name, KindWeight)
		if err != nil {
			return err
		}
		s := im.net.Slots[v.slot]
		t := &tokView{chans: []int{c}, axes: [][]atom{{{'N', 0}}, {{'H', 0}}, {{'C', 0}}}}
		im.emitTok(nd, Op{Kind: OpCatTokens, In: v.slot, Weight: w}, [3]int{c, s[1]*s[2] + k.shape[1], 1}, t)
		v = im.vals[nd.GetOutput()[0]]
	}
	return nil
}

// tokLinear imports MatMul or Gemm of a token view by a 2D constant weight over its last axis
// (all its channels): a 1×1 convolution; a Gemm's bias, or an Add after it, is its bias.
func (im *importer) tokLinear(nd *onnx.NodeProto, v value) error {
	if !im.lastIsChannels(v) {
		return im.tokErr(nd, v, "linear layer over an axis other than the features")
	}
	s := im.net.Slots[v.slot]
	c := im.constInput(nd, 1)
	if c == nil || len(c.shape) != 2 {
		return im.errorf(nd, "the second operand %q must be a 2D constant (the weight)", nd.GetInput()[1])
	}
	trans := true
	if nd.GetOpType() == "Gemm" {
		if nd.Int("transA", 0) != 0 || nd.Float("alpha", 1) != 1 || nd.Float("beta", 1) != 1 {
			return im.errorf(nd, "Gemm with transA, alpha or beta other than 0, 1, 1 is not supported")
		}
		trans = nd.Int("transB", 0) == 0
	}
	wname, trans, outF, err := im.linearWeight(nd, c, trans, s[0], "features")
	if err != nil {
		return err
	}
	op := Op{Kind: OpConv, In: v.slot, Weight: wname, TransW: trans, K: 1, Stride: 1}
	if b := im.constInput(nd, 2); b != nil && nd.GetOpType() == "Gemm" {
		if op.Bias, err = im.param(nd, nd.GetInput()[2], KindBias); err != nil {
			return err
		}
		if bs := im.params[op.Bias].Shape; len(bs) != 1 || bs[0] != outF {
			return im.errorf(nd, "bias %q has shape %s; want [%d]", op.Bias, ShapeString(bs), outF)
		}
	}
	im.emitTok(nd, op, [3]int{outF, s[1], s[2]}, withChannels(v.tok, outF))
	if op.Bias == "" && im.uses[nd.GetOutput()[0]] == 1 {
		im.lastLinear[len(im.net.Slots)-1] = len(im.net.Ops) - 1
	}
	return nil
}

// heads checks the batch axes of an operand of MatMul: the batch and the channel factors
// outside its matrix's channels (the heads), in order; it returns the head atom (kind 0 when
// there are no heads).
func (im *importer) headAtoms(v value, batch [][]atom, groups int) (atom, bool) {
	var hs []atom
	for _, ax := range batch {
		for _, a := range im.sized(v, ax) {
			if a.kind != 'N' && !isPix(a) {
				hs = append(hs, a)
			}
		}
	}
	switch {
	case groups == 1 && len(hs) == 0:
		return atom{}, true
	case len(hs) == 1 && hs[0].kind == 'C' && im.size(v, hs[0]) == groups:
		return hs[0], true
	}
	return atom{}, false
}

// windows reports whether tok lists the tokens of a matrix operand (pixel atoms) and the
// batch axes its windows (the other pixel atoms; none: one window), the slot's pixels being
// window after window; it returns the number of windows.
func (im *importer) windows(v value, batch [][]atom, tok []atom) (int, bool) {
	tok = im.sized(v, tok)
	var order []atom
	w := 1
	for _, ax := range batch {
		for _, a := range im.sized(v, ax) {
			if isPix(a) {
				order = append(order, a)
				w *= im.size(v, a)
			}
		}
	}
	for _, a := range tok {
		if !isPix(a) {
			return 0, false
		}
	}
	return w, len(tok) > 0 && slices.Equal(append(order, tok...), im.pixAtoms(v))
}

// tokMatMul imports MatMul of two token views [.., M, K]·[.., K, N], batched over the heads:
// A's rows are its pixels and K its innermost channels; B holds K in its channels and N in its
// pixels (Q·Kᵀ) or the other way round (A·V). The output [.., M, N] has N as channels.
func (im *importer) tokMatMul(nd *onnx.NodeProto, a, b value) error {
	a, b = im.asTok(a), im.asTok(b)
	r := len(a.tok.axes)
	if r < 3 || len(b.tok.axes) != r {
		return im.tokErr(nd, a, "matrix product with an operand of another rank")
	}
	A, B := a.tok.axes, b.tok.axes
	ga, okK := im.channelSuffix(a, A[r-1])
	wa, okW := im.windows(a, A[:r-2], A[r-2])
	if !okW || !okK {
		return im.tokErr(nd, a, "matrix product whose left operand is not [.., tokens, features]")
	}
	op := Op{Kind: OpMatMul, In: a.slot, In2: b.slot, Heads: ga, Windows: wa}
	gb, ok := im.channelSuffix(b, B[r-2])
	wb, okW := im.windows(b, B[:r-2], B[r-1])
	switch {
	case ok && okW:
		op.TransA = true
	default:
		gb, ok = im.channelSuffix(b, B[r-1])
		wb, okW = im.windows(b, B[:r-2], B[r-2])
		if !ok || !okW {
			return im.tokErr(nd, b, "matrix product whose right operand is not [.., features, tokens] or [.., tokens, features]")
		}
	}
	if wa != wb {
		return im.errorf(nd, "matrix product of operands in %d and %d windows", wa, wb)
	}
	if wa == 1 {
		op.Windows = 0
	}
	da, db := im.tokDims(a, 1), im.tokDims(b, 1)
	ha, okA := im.headAtoms(a, A[:r-2], ga)
	_, okB := im.headAtoms(b, B[:r-2], gb)
	if ga != gb || !okA || !okB || !slices.Equal(da[:r-2], db[:r-2]) || da[r-1] != db[r-2] {
		return im.errorf(nd, "matrix product of shapes %v and %v (per image: %s and %s): heads or inner sizes differ",
			da, db, im.describe(a), im.describe(b))
	}
	sa := im.net.Slots[a.slot]
	t := &tokView{chans: []int{ga, db[r-1]}}
	for _, ax := range A[:r-2] {
		var out []atom
		for _, x := range ax {
			switch {
			case x.kind == 'N':
				out = append(out, x)
			case x == ha && ha.kind == 'C':
				out = append(out, atom{'C', 0})
			case isPix(x):
				out = append(out, x)
			}
		}
		t.axes = append(t.axes, out)
	}
	t.pix = slices.Clone(a.tok.pix)
	t.axes = append(t.axes, slices.Clone(A[r-2]), []atom{{'C', 1}})
	im.emitTok(nd, op, [3]int{ga * db[r-1], sa[1], sa[2]}, t)
	return nil
}

// tokArith imports Add, Sub, Mul or Div of a token view by a constant of one value per
// feature (its last axis, all channels) or of its whole shape [1, T, D] (a position
// embedding: one value per element, pixel-major).
func (im *importer) tokArith(nd *onnx.NodeProto, v value, c *constant, rev bool) error {
	s := im.net.Slots[v.slot]
	shape := slices.Clone(c.shape)
	for len(shape) > 1 && shape[0] == 1 {
		shape = shape[1:]
	}
	r := len(v.tok.axes)
	full := r == 3 && im.pixelAxis(v) == 1 && im.lastIsChannels(v) && slices.Equal(shape, []int{s[1] * s[2], s[0]})
	perFeature := im.lastIsChannels(v) && len(c.data) == s[0] && shape[len(shape)-1] == s[0]
	if !full && !perFeature {
		return im.broadcastArith(nd, v, c, rev)
	}
	return im.emitArith(nd, v, c, rev, s)
}

// signature is how each logical element of v maps to its slot: per axis, its atoms' kinds,
// sizes and (channels) strides.
func (im *importer) signature(v value) [][][3]int {
	var sig [][][3]int
	for _, ax := range v.tok.axes {
		var a3 [][3]int
		for _, a := range im.sized(v, ax) {
			kind, stride := a.kind, im.stride(v, a)
			if isPix(a) {
				kind = 'P'
			}
			a3 = append(a3, [3]int{int(kind), im.size(v, a), stride})
		}
		sig = append(sig, a3)
	}
	return sig
}

// stride is atom a's stride among the slot's channels ('C') or pixels.
func (im *importer) stride(v value, a atom) int {
	stride := 1
	switch a.kind {
	case 'C':
		for _, c := range v.tok.chans[a.i+1:] {
			stride *= c
		}
	case 'P':
		for _, p := range v.tok.pix[a.i+1:] {
			stride *= p
		}
	case 'H':
		stride = im.net.Slots[v.slot][2]
	}
	return stride
}

// tokBinary imports Add or Mul of two token views laid out alike (a residual connection).
func (im *importer) tokBinary(nd *onnx.NodeProto, a, b value) error {
	a, b = im.asTok(a), im.asTok(b)
	if im.net.Slots[a.slot] != im.net.Slots[b.slot] || !slices.EqualFunc(im.signature(a), im.signature(b), slices.Equal) {
		return im.errorf(nd, "%s of tensors laid out differently (per image: %s and %s)", nd.GetOpType(), im.describe(a), im.describe(b))
	}
	kind := OpAdd
	if nd.GetOpType() == "Mul" {
		kind = OpMul
	}
	im.emitTok(nd, Op{Kind: kind, In: a.slot, In2: b.slot}, im.net.Slots[a.slot], a.tok.clone())
	return nil
}

// tokMean imports ReduceMean of a token view over its features (a LayerNorm's first node) or
// its tokens (global mean pooling: OpGlobalAvgPool).
func (im *importer) tokMean(nd *onnx.NodeProto, v value) error {
	axes := nd.Ints("axes")
	r := len(v.tok.axes)
	if len(axes) != 1 || v.pad != [4]int{} {
		return im.tokErr(nd, v, "mean over axes "+shapeStr(toInts(axes)))
	}
	ax := axisOf(axes[0], r)
	keep := nd.Int("keepdims", 1) == 1
	switch {
	case ax == r-1 && im.lastIsChannels(v) && keep:
		return im.layerNormPattern(nd, v)
	case ax == im.pixelAxis(v) && !slices.Contains(v.tok.axes[ax], atom{'N', 0}):
		t := v.tok.clone()
		t.pix = nil // one pixel left
		if keep {
			t.axes[ax] = nil
		} else {
			t.axes = slices.Delete(t.axes, ax, ax+1)
		}
		im.emitTok(nd, Op{Kind: OpGlobalAvgPool, In: v.slot}, [3]int{im.net.Slots[v.slot][0], 1, 1}, t)
		return nil
	}
	return im.tokErr(nd, v, "mean over axis "+shapeStr(toInts(axes)))
}
