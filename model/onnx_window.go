package model

import (
	"slices"

	"landscape/onnx"
)

// Windows of a Swin transformer: an NHWC activation [N, H, W, C] padded to whole windows,
// rolled by half a window (Slice + Concat along H and W), partitioned into windows
// ([N, nH, w, nW, w, C] → Transpose → [N·nH·nW, w·w, C]) and back. The slot's pixels are then
// factored (tokView.pix: 'P' atoms), so that the window and in-window axes are views; where
// the logical order of the pixel atoms leaves the slot's order (a window partition or its
// reverse), one OpPixels copies the pixels into the new order (inOrder). Padding, slicing and
// rolling along H and W are OpPixels too (an index per output pixel, −1 for a zero).

// factorPixels makes v's view (its own copy) name its pixels by 'P' atoms: rows, then columns.
func (im *importer) factorPixels(v value) {
	t := v.tok
	if t.pix != nil {
		return
	}
	s := im.net.Slots[v.slot]
	t.pix = []int{s[1], s[2]}
	for _, ax := range t.axes {
		for k := range ax {
			switch ax[k].kind {
			case 'H':
				ax[k] = atom{'P', 0}
			case 'W':
				ax[k] = atom{'P', 1}
			}
		}
	}
}

// logicalPix lists v's pixel atoms of size above 1 in the order its logical axes read them.
func (im *importer) logicalPix(v value) []atom {
	var out []atom
	for _, ax := range v.tok.axes {
		for _, a := range im.sized(v, ax) {
			if isPix(a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// inOrder returns v with its slot's pixels in the order its logical axes read them: v itself
// when they are, else a copy (one OpPixels of node nd, composed with the pixel map that made
// v's slot, if one did) whose pixels are renumbered P atoms.
// The copy's slot has as rows the pixels of the first logical axis that holds pixels. A view
// that reads pixels the slot does not have (a reshape of a damaged graph) is an error.
func (im *importer) inOrder(nd *onnx.NodeProto, v value) (value, error) {
	order := im.logicalPix(v)
	if slices.Equal(order, im.pixAtoms(v)) {
		return v, nil
	}
	npix := im.net.Slots[v.slot][1] * im.net.Slots[v.slot][2]
	sizes := make([]int, len(order))
	total := 1
	for k, a := range order {
		sizes[k] = im.size(v, a)
		total *= sizes[k]
	}
	if _, err := shapeSize(sizes, npix); err != nil {
		return v, im.errorf(nd, "a view of %v pixels of a slot of %d", sizes, npix)
	}
	from, m := im.pixelSource(v.slot) // v's slot a pixel map (a padding, a roll): compose with it
	perm := make([]int, total)
	for j := range perm {
		rem, src := j, 0
		for k := len(order) - 1; k >= 0; k-- {
			src += rem % sizes[k] * im.stride(v, order[k])
			rem /= sizes[k]
		}
		if src < 0 || src >= npix {
			return v, im.errorf(nd, "a view of %v pixels reads pixel %d of %d", sizes, src, npix)
		}
		if m != nil {
			src = m[src]
		}
		perm[j] = src
	}
	t := &tokView{chans: slices.Clone(v.tok.chans), pix: sizes}
	rows := 0
	for _, ax := range v.tok.axes {
		var out []atom
		for _, a := range im.sized(v, ax) {
			if k := slices.Index(order, a); k >= 0 {
				out = append(out, atom{'P', k})
				if rows == 0 {
					rows = len(t.axes) + 1
				}
			} else if !isPix(a) {
				out = append(out, a)
			}
		}
		t.axes = append(t.axes, out)
	}
	if rows == 0 {
		return v, im.errorf(nd, "a view of %v pixels on no axis", sizes)
	}
	h := 1
	for _, a := range t.axes[rows-1] {
		if a.kind == 'P' {
			h *= sizes[a.i]
		}
	}
	s := im.net.Slots[v.slot]
	n := im.net
	n.Slots = append(n.Slots, [3]int{s[0], h, total / h})
	n.Ops = append(n.Ops, Op{Kind: OpPixels, In: from, Out: len(n.Slots) - 1, Perm: perm})
	return value{slot: len(n.Slots) - 1, tok: t}, nil
}

// elementIndex maps each element of v's slot, pixel-major (pixel p, channel c at p·C + c), to
// its flat index in a tensor of shape cshape broadcast to v's logical shape (batch 1), or
// returns false when cshape does not broadcast to it.
func (im *importer) elementIndex(v value, cshape []int) ([]int, bool) {
	dims := im.tokDims(v, 1)
	if b, err := broadcastShape(dims, cshape); err != nil || !slices.Equal(b, dims) {
		return nil, false
	}
	s := im.net.Slots[v.slot]
	hw, st := s[1]*s[2], strides(dims)
	out := make([]int, hw*s[0])
	for p := range hw {
		for ch := range s[0] {
			flat := 0
			for j, ax := range v.tok.axes {
				coord := 0
				for _, a := range ax {
					if a.kind == 'N' {
						continue
					}
					x := ch
					if isPix(a) {
						x = p
					}
					coord = coord*im.size(v, a) + x/im.stride(v, a)%im.size(v, a)
				}
				flat += coord * st[j]
			}
			out[p*s[0]+ch] = bcIndex(flat, dims, st, cshape)
		}
	}
	return out, true
}

// broadcastArith imports Add, Sub, Mul or Div of a token view by a constant of any shape that
// broadcasts to it: Swin's attention mask [1, nW, 1, T, T] (a constant per element), and its
// relative position bias [1, h, T, T] gathered from the parameter table [(2w−1)², h] (the
// table stays the parameter, read through an index per element: Op.Perm).
func (im *importer) broadcastArith(nd *onnx.NodeProto, v value, c *constant, rev bool) error {
	idx, ok := im.elementIndex(v, c.shape)
	if !ok || c.isInt {
		return im.errorf(nd, "constant of shape %s with a tensor of shape %v (per image: %s); want a shape that broadcasts to it",
			ShapeString(c.shape), im.tokDims(v, 1), im.describe(v))
	}
	s := im.net.Slots[v.slot]
	op := Op{Kind: OpArith, In: v.slot, Arith: map[string]byte{"Add": '+', "Sub": '-', "Mul": '*', "Div": '/'}[nd.GetOpType()]}
	op.Rev = rev && (op.Arith == '-' || op.Arith == '/')
	name, entry := c.gatherOf, c.gidx
	if name == "" {
		name = x0view(c)
	}
	if name == "" || im.consts[name] == nil {
		op.Const = make([]float32, len(idx))
		for e, i := range idx {
			op.Const[e] = float32(c.data[i])
		}
		im.emitTok(nd, op, s, v.tok.clone())
		return nil
	}
	kind := KindWeight
	if len(im.consts[name].shape) <= 1 {
		kind = KindBias
	}
	w, err := im.param(nd, name, kind)
	if err != nil {
		return err
	}
	op.Weight, op.Perm = w, idx
	if entry != nil {
		for e, i := range idx {
			op.Perm[e] = entry[i]
		}
	}
	im.emitTok(nd, op, s, v.tok.clone())
	return nil
}
