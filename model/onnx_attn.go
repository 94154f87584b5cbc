package model

import (
	"fmt"
	"slices"

	"landscape/onnx"
)

// Transformers: token sequences and attention heads of an image live in ordinary slots
// [C, H, W], with the features (and heads) as channels and the tokens as pixels, so that a
// Linear over the features is a 1×1 convolution, LayerNorm over them the channel LayerNorm
// and GELU element-wise. A patch embedding's [D, h, w] is the sequence [h·w, D] as it is; a
// class token prepended makes a slot [D, 1 + T, 1]. Heads [h, T, d] of the sequence are the
// same slot with its channels seen as h groups of d; attention scores [h, T, T] are a slot
// [h·T, T, 1] (channels: head and key, pixels: query), the softmax over each group of T
// channels, Q·Kᵀ and A·V one GEMM per image and head (OpMatMul).
//
// The importer follows what the export does to these tensors (Reshape, Transpose, batch-first
// or sequence-first layouts, the batch merged with the heads or the tokens) as a tokView: the
// logical axes of the tensor, each a list of atoms — the batch, the slot's rows and columns,
// and factors of its channels — with no copy made. A Reshape's target is computed at load time
// with the batch at 1 and, in the shadow evaluation (constant.alt), at 2, which says which axis
// holds the batch.

// atom is a factor of a logical axis: the batch ('N', size 1 per image), the slot's rows
// ('H') or columns ('W'), channel factor i ('C': size chans[i], stride the product of the
// factors after it), or pixel factor i ('P': size pix[i], likewise within the pixels) once
// the pixels are factored (windows of a Swin transformer, onnx_window.go).
type atom struct {
	kind byte
	i    int
}

// tokView is how a value is seen: logical axes over its slot.
type tokView struct {
	chans []int    // the slot's channels factored, outer to inner
	pix   []int    // the slot's pixels (rows·columns, row-major) factored, outer to inner; nil: atoms 'H' and 'W'
	axes  [][]atom // logical axes, outer to inner; each lists its atoms outer to inner
}

func (t *tokView) clone() *tokView {
	c := &tokView{chans: slices.Clone(t.chans), pix: slices.Clone(t.pix)}
	for _, a := range t.axes {
		c.axes = append(c.axes, slices.Clone(a))
	}
	return c
}

// size is an atom's extent per image.
func (im *importer) size(v value, a atom) int {
	s := im.net.Slots[v.slot]
	switch a.kind {
	case 'H':
		return s[1]
	case 'W':
		return s[2]
	case 'C':
		return v.tok.chans[a.i]
	case 'P':
		return v.tok.pix[a.i]
	}
	return 1
}

// dims returns the logical shape of v with batch n.
func (im *importer) tokDims(v value, n int) []int {
	var d []int
	for _, ax := range v.tok.axes {
		p := 1
		for _, a := range ax {
			if a.kind == 'N' {
				p *= n
			} else {
				p *= im.size(v, a)
			}
		}
		d = append(d, p)
	}
	return d
}

// asTok returns v as a token view (a classic value gets its [N, C, H, W], flat [N, C·H·W]
// or NHWC [N, H, W, C] axes).
func (im *importer) asTok(v value) value {
	if v.tok != nil {
		return v
	}
	s := im.net.Slots[v.slot]
	t := &tokView{chans: []int{s[0]}}
	n, c, h, w := atom{'N', 0}, atom{'C', 0}, atom{'H', 0}, atom{'W', 0}
	switch {
	case v.flat:
		t.axes = [][]atom{{n}, {c, h, w}}
	case v.nhwc:
		t.axes = [][]atom{{n}, {h}, {w}, {c}}
	default:
		t.axes = [][]atom{{n}, {c}, {h}, {w}}
	}
	v.tok, v.flat, v.nhwc = t, false, false
	return v
}

// sized drops the atoms of size 1 (the batch kept).
func (im *importer) sized(v value, ax []atom) []atom {
	var out []atom
	for _, a := range ax {
		if a.kind == 'N' || im.size(v, a) > 1 {
			out = append(out, a)
		}
	}
	return out
}

// channelSuffix reports whether the atoms of axis ax (size-1 ones dropped, no batch) are the
// innermost channel factors in order, and returns how many channel groups remain outside them.
func (im *importer) channelSuffix(v value, ax []atom) (groups int, ok bool) {
	ax = im.sized(v, ax)
	var idx []int
	for _, a := range ax {
		if a.kind != 'C' {
			return 0, false
		}
		idx = append(idx, a.i)
	}
	inner, last := 1, len(v.tok.chans)-1
	for j := len(idx) - 1; j >= 0; j-- {
		for last >= 0 && v.tok.chans[last] == 1 {
			last--
		}
		if idx[j] != last {
			return 0, false
		}
		inner *= v.tok.chans[last]
		last--
	}
	return im.net.Slots[v.slot][0] / inner, true
}

// lastIsChannels reports whether v's last axis holds all its channels in order (a Linear,
// LayerNorm or per-feature operand acts per pixel on it).
func (im *importer) lastIsChannels(v value) bool {
	g, ok := im.channelSuffix(v, v.tok.axes[len(v.tok.axes)-1])
	return ok && g == 1
}

// pixelsOnly reports whether axis ax holds the slot's pixels, all of them, in their order.
func (im *importer) pixelsOnly(v value, ax []atom) bool {
	want := im.pixAtoms(v)
	return len(want) > 0 && slices.Equal(im.sized(v, ax), want)
}

// pixAtoms lists the slot's pixel atoms of size above 1 in storage order (rows before columns).
func (im *importer) pixAtoms(v value) []atom {
	var want []atom
	if v.tok.pix != nil {
		for i, p := range v.tok.pix {
			if p > 1 {
				want = append(want, atom{'P', i})
			}
		}
		return want
	}
	s := im.net.Slots[v.slot]
	if s[1] > 1 {
		want = append(want, atom{'H', 0})
	}
	if s[2] > 1 {
		want = append(want, atom{'W', 0})
	}
	return want
}

// isPix reports whether a is a pixel atom.
func isPix(a atom) bool { return a.kind == 'H' || a.kind == 'W' || a.kind == 'P' }

// rowsCols reports whether axes r and c hold the slot's rows and its columns, in order.
func (im *importer) rowsCols(v value, r, c []atom) bool {
	r, c = im.sized(v, r), im.sized(v, c)
	rows := 1
	for _, a := range r {
		rows *= im.size(v, a)
	}
	s := im.net.Slots[v.slot]
	return rows == s[1] && slices.Equal(append(slices.Clone(r), c...), im.pixAtoms(v))
}

// withChannels is view t of a new slot whose c channels replace the channels of t's last axis
// (all of them: lastIsChannels).
func withChannels(t *tokView, c int) *tokView {
	u := &tokView{chans: []int{c}, pix: slices.Clone(t.pix)}
	for i, ax := range t.axes {
		var out []atom
		for _, a := range ax {
			if a.kind != 'C' {
				out = append(out, a)
			}
		}
		if i == len(t.axes)-1 {
			out = []atom{{'C', 0}}
		}
		u.axes = append(u.axes, out)
	}
	return u
}

// classic turns a view [N, C] (the batch, then all channels in order) of a slot of one pixel
// back into a flat value, and [N, C, H, W] into a plain one.
func (im *importer) classic(v value) value {
	if v.tok == nil {
		return v
	}
	s := im.net.Slots[v.slot]
	var ax [][]atom
	for _, a := range v.tok.axes {
		if a = im.sized(v, a); len(a) > 0 {
			ax = append(ax, a)
		}
	}
	switch {
	case s[1]*s[2] == 1 && len(ax) == 2 && slices.Equal(ax[0], []atom{{'N', 0}}) && im.lastIsChannels(v):
		return value{slot: v.slot, flat: true}
	case len(v.tok.axes) == 4 && len(v.tok.chans) == 1 && slices.EqualFunc(v.tok.axes, [][]atom{{{'N', 0}}, {{'C', 0}}, {{'H', 0}}, {{'W', 0}}}, slices.Equal):
		return value{slot: v.slot}
	case len(v.tok.axes) == 4 && s[1]*s[2] > 1 && slices.Equal(v.tok.axes[0], []atom{{'N', 0}}) && im.allChannels(v, v.tok.axes[1]) && im.rowsCols(v, v.tok.axes[2], v.tok.axes[3]):
		return value{slot: v.slot}
	case len(v.tok.axes) == 4 && s[1]*s[2] > 1 && slices.Equal(v.tok.axes[0], []atom{{'N', 0}}) && im.allChannels(v, v.tok.axes[3]) && im.rowsCols(v, v.tok.axes[1], v.tok.axes[2]):
		return value{slot: v.slot, nhwc: true}
	}
	return v
}

// allChannels reports whether axis ax holds all the slot's channels, in order.
func (im *importer) allChannels(v value, ax []atom) bool {
	g, ok := im.channelSuffix(v, ax)
	return ok && g == 1 && len(im.sized(v, ax)) > 0
}

// bind sets nd's output i to slot s seen as t (a classic value where it is one).
func (im *importer) bind(nd *onnx.NodeProto, i, s int, t *tokView) {
	im.vals[nd.GetOutput()[i]] = im.classic(value{slot: s, tok: t})
}

// emitTok appends op with a new output slot of shape out seen as t.
func (im *importer) emitTok(nd *onnx.NodeProto, op Op, out [3]int, t *tokView) {
	im.emit(nd, op, out, false)
	im.bind(nd, 0, len(im.net.Slots)-1, t)
}

// tokErr is the error for a token-view operation this reader does not follow.
func (im *importer) tokErr(nd *onnx.NodeProto, v value, what string) error {
	return im.errorf(nd, "%s of a tensor of shape %v (per image: %s)", what, im.tokDims(v, 1), im.describe(v))
}

// describe names the atoms of v's axes.
func (im *importer) describe(v value) string {
	s := ""
	for i, ax := range v.tok.axes {
		if i > 0 {
			s += ", "
		}
		s += "["
		for j, a := range ax {
			if j > 0 {
				s += "·"
			}
			s += fmt.Sprintf("%c%d", a.kind, im.size(v, a))
		}
		s += "]"
	}
	return s
}

// evalAlt evaluates nd again with the shadow values (constant.alt) of its inputs, when any has one.
func (im *importer) evalAlt(nd *onnx.NodeProto, in []*constant) (*constant, error) {
	alt := make([]*constant, len(in))
	any := false
	for i, c := range in {
		alt[i] = c
		if c != nil && c.alt != nil {
			alt[i], any = c.alt, true
		}
	}
	if !any {
		return nil, nil
	}
	c, err := evalConst(nd, alt, im.opset)
	if err != nil {
		return nil, nil // not computable at batch 2: Reshape falls back to the batch on axis 0
	}
	return c, nil
}
