package model

import (
	"slices"

	"landscape/onnx"
)

// Pad, Slice and Concat along the rows and columns of an NHWC activation [N, H, W, C] (Swin's
// window padding, its cyclic shift torch.roll as Slice + Concat, the crop back and patch
// merging's x[:, 0::2, 1::2, :]): each is one OpPixels, an index per output pixel (−1: a
// zero), composed with the OpPixels that computed its input, so that a roll or a chain of
// slices is one copy (the ops left unread are dropped at the end: pruneOps).

// pixelSource returns the slot and pixel map an NHWC value's pixels come from: the input of
// the OpPixels that computed slot, or slot itself (nil map: the identity).
func (im *importer) pixelSource(slot int) (int, []int) {
	for i := len(im.net.Ops) - 1; i >= 0; i-- {
		if op := &im.net.Ops[i]; op.Out == slot {
			if op.Kind == OpPixels && im.net.Slots[op.In][0] == im.net.Slots[slot][0] {
				return op.In, op.Perm
			}
			break
		}
	}
	return slot, nil
}

// pixelMap emits output o of nd, NHWC [N, oh, ow, C]: pixel j is pixel src[j] of v's slot
// (−1: zero), read through the map that computed v's slot.
func (im *importer) pixelMap(nd *onnx.NodeProto, o int, v value, oh, ow int, src []int) {
	from, m := im.pixelSource(v.slot)
	perm := make([]int, len(src))
	for j, p := range src {
		if p >= 0 && m != nil {
			p = m[p]
		}
		perm[j] = p
	}
	n := im.net
	n.Slots = append(n.Slots, [3]int{n.Slots[v.slot][0], oh, ow})
	n.Ops = append(n.Ops, Op{Kind: OpPixels, In: from, Out: len(n.Slots) - 1, Perm: perm})
	im.vals[nd.GetOutput()[o]] = value{slot: len(n.Slots) - 1, nhwc: true}
}

// nhwcPad imports a zero Pad of the rows and columns of an NHWC activation (pads
// [n₀, h₀, w₀, c₀, n₁, h₁, w₁, c₁]).
func (im *importer) nhwcPad(nd *onnx.NodeProto, v value, pads []float64) error {
	if pads[0] != 0 || pads[3] != 0 || pads[4] != 0 || pads[7] != 0 || slices.Min(pads) < 0 {
		return im.errorf(nd, "pads %v of an [N, H, W, C] activation; only non-negative padding of height and width is supported", pads)
	}
	s := im.net.Slots[v.slot]
	t, l := int(pads[1]), int(pads[2])
	oh, ow := s[1]+t+int(pads[5]), s[2]+l+int(pads[6])
	if oh == s[1] && ow == s[2] {
		im.vals[nd.GetOutput()[0]] = v
		return nil
	}
	if _, err := shapeSize([]int{s[0], oh, ow}, maxSlotValues); err != nil {
		return im.errorf(nd, "pads %v: %v", pads, err)
	}
	src := make([]int, oh*ow)
	for y := range oh {
		for x := range ow {
			src[y*ow+x] = -1
			if y >= t && y-t < s[1] && x >= l && x-l < s[2] {
				src[y*ow+x] = (y-t)*s[2] + x - l
			}
		}
	}
	im.pixelMap(nd, 0, v, oh, ow, src)
	return nil
}

// nhwcSlice imports a Slice of the rows and columns of an NHWC activation (the batch whole).
func (im *importer) nhwcSlice(nd *onnx.NodeProto, v value, axes, starts, ends, steps []int) error {
	s := im.net.Slots[v.slot]
	rows, cols := sliceAxis(s[1], 0, s[1], 1), sliceAxis(s[2], 0, s[2], 1)
	for j, a := range axes {
		switch axisOf(int64(a), 4) {
		case 1:
			rows = sliceAxis(s[1], starts[j], ends[j], steps[j])
		case 2:
			cols = sliceAxis(s[2], starts[j], ends[j], steps[j])
		case 0:
			if starts[j] != 0 || ends[j] < 1 || steps[j] != 1 {
				return im.errorf(nd, "slice of the batch")
			}
		default:
			return im.errorf(nd, "slice of an [N, H, W, C] activation along the channels and the pixels at once")
		}
	}
	if len(rows) == 0 || len(cols) == 0 {
		return im.errorf(nd, "slice keeps no pixel")
	}
	var src []int
	for _, y := range rows {
		for _, x := range cols {
			src = append(src, y*s[2]+x)
		}
	}
	im.pixelMap(nd, 0, v, len(rows), len(cols), src)
	return nil
}

// nhwcConcat imports Concat of NHWC activations along their rows or columns (axis 1 or 2) —
// slices of one tensor (torch.roll), so that the result is one map of that tensor's pixels —
// or along their channels (axis 3: an OpConcat).
func (im *importer) nhwcConcat(nd *onnx.NodeProto, ax int) error {
	var vs []value
	for i := range nd.GetInput() {
		v, err := im.elementwise(nd, i)
		if err != nil {
			return err
		}
		if !v.nhwc || v.tok != nil {
			return im.errorf(nd, "concatenation of an [N, H, W, C] activation with another layout")
		}
		vs = append(vs, v)
	}
	if ax == 3 {
		op, out := Op{Kind: OpConcat}, im.net.Slots[vs[0].slot]
		out[0] = 0
		for _, v := range vs {
			s := im.net.Slots[v.slot]
			if s[1] != out[1] || s[2] != out[2] {
				return im.errorf(nd, "inputs of %dx%d and %dx%d pixels", out[1], out[2], s[1], s[2])
			}
			op.Ins, out[0] = append(op.Ins, v.slot), out[0]+s[0]
		}
		op.In = op.Ins[0]
		im.emit(nd, op, out, false)
		im.vals[nd.GetOutput()[0]] = value{slot: len(im.net.Slots) - 1, nhwc: true}
		return nil
	}
	return im.rollConcat(nd, vs, ax)
}

// rollConcat concatenates pixel maps of one source slot along rows (ax 1) or columns (ax 2).
func (im *importer) rollConcat(nd *onnx.NodeProto, vs []value, ax int) error {
	from, _ := im.pixelSource(vs[0].slot)
	var maps [][]int
	oh, ow := 0, 0
	for _, v := range vs {
		f, m := im.pixelSource(v.slot)
		s := im.net.Slots[v.slot]
		if f != from || m == nil {
			return im.errorf(nd, "concatenation along the pixels of tensors that are not slices of one activation (only a roll is supported)")
		}
		if (ax == 1 && s[2] != im.net.Slots[vs[0].slot][2]) || (ax == 2 && s[1] != im.net.Slots[vs[0].slot][1]) {
			return im.errorf(nd, "concatenation of tensors of %v and %v pixels", im.net.Slots[vs[0].slot], s)
		}
		if ax == 1 {
			oh, ow = oh+s[1], s[2]
		} else {
			oh, ow = s[1], ow+s[2]
		}
		maps = append(maps, m)
	}
	var perm []int
	if ax == 1 {
		for _, m := range maps {
			perm = append(perm, m...)
		}
	} else {
		for y := range oh {
			for i, m := range maps {
				w := im.net.Slots[vs[i].slot][2]
				perm = append(perm, m[y*w:(y+1)*w]...)
			}
		}
	}
	n := im.net
	n.Slots = append(n.Slots, [3]int{n.Slots[from][0], oh, ow})
	n.Ops = append(n.Ops, Op{Kind: OpPixels, In: from, Out: len(n.Slots) - 1, Perm: perm})
	im.vals[nd.GetOutput()[0]] = value{slot: len(n.Slots) - 1, nhwc: true}
	return nil
}

// pruneOps drops the ops whose output no op reads and that are not the network's output
// (pixel maps composed into later ones), repeatedly.
func (im *importer) pruneOps() {
	n := im.net
	for {
		read := map[int]bool{n.Output: true}
		for i := range n.Ops {
			for _, s := range n.Ops[i].Inputs() {
				read[s] = true
			}
		}
		kept := n.Ops[:0]
		for _, op := range n.Ops {
			if read[op.Out] {
				kept = append(kept, op)
			}
		}
		if len(kept) == len(n.Ops) {
			return
		}
		n.Ops = kept
	}
}
