package model

import (
	"slices"

	"landscape/onnx"
)

// Reshapes, transposes and channel selections of activations: flatten, the NCHW↔NHWC permutes
// around a ConvNeXt block (a logical layout, no copy), the channel shuffle of ShuffleNet
// (Reshape to groups → Transpose → Reshape back: one channel permutation) and Split/Slice
// along the channels.

// reshape imports Flatten and Reshape of an activation.
func (im *importer) reshape(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	if v.pad != [4]int{} {
		return im.errorf(nd, "reads the output of a Pad node")
	}
	s := im.net.Slots[v.slot]
	numel := s[0] * s[1] * s[2]
	if nd.GetOpType() == "Flatten" && v.tok != nil {
		return im.tokReshape(nd, v, []int{1, -1}, []int{2, -1})
	}
	if nd.GetOpType() == "Flatten" {
		if ax := nd.Int("axis", 1); ax != 1 {
			return im.errorf(nd, "flatten at axis %d; only axis 1 ([N, C·H·W]) is supported", ax)
		}
		return im.flatten(nd, v)
	}
	c := im.constInput(nd, 1)
	if c == nil {
		return im.errorf(nd, "target shape %q is not a constant", nd.GetInput()[1])
	}
	t := c.ints()
	var alt []int
	if c.alt != nil {
		alt = c.alt.ints()
	}
	if v.tok != nil {
		return im.tokReshape(nd, v, t, alt)
	}
	batch := len(t) > 0 && (t[0] == 1 || t[0] == 0 || t[0] == -1)
	switch {
	case batch && len(t) == 2 && (t[1] == -1 || t[1] == numel) && !(t[0] == -1 && t[1] == -1):
		return im.flatten(nd, v)
	case batch && len(t) == 4 && [3]int{t[1], t[2], t[3]} == s && v.groups != [2]int{}:
		return im.ungroup(nd, v)
	case batch && len(t) == 4 && t[1] == -1 && t[2] == s[1] && t[3] == s[2] && v.groups != [2]int{}:
		return im.ungroup(nd, v)
	case batch && len(t) == 4 && ([3]int{t[1], t[2], t[3]} == s || t[1] == -1 && t[2] == s[1] && t[3] == s[2]) && !v.nhwc && (v.flat || v.plainLayout()):
		v.flat = false
		im.vals[nd.GetOutput()[0]] = v
		return nil
	case batch && len(t) == 5 && v.plainLayout() && !v.flat && t[3] == s[1] && t[4] == s[2] && t[1] > 0 && t[2] > 0 && t[1]*t[2] == s[0]:
		v.groups, v.swapped = [2]int{t[1], t[2]}, false
		im.vals[nd.GetOutput()[0]] = v
		return nil
	}
	if v.groups == [2]int{} {
		return im.tokReshape(nd, v, t, alt) // tokens, heads (onnx_attn.go)
	}
	return im.errorf(nd, "reshape of [N, %d, %d, %d] to %v; supported: [N, -1] (flatten), the same shape, and channel groups [N, G, C/G, H, W] and back",
		s[0], s[1], s[2], t)
}

// flatten sees v as [N, C·H·W] (an NHWC activation only when it has one pixel, where both
// orders agree).
func (im *importer) flatten(nd *onnx.NodeProto, v value) error {
	s := im.net.Slots[v.slot]
	if v.groups != [2]int{} || (v.nhwc && s[1]*s[2] > 1) {
		return im.errorf(nd, "flattens a permuted or regrouped activation")
	}
	v.flat, v.nhwc = true, false
	im.vals[nd.GetOutput()[0]] = v
	return nil
}

// ungroup ends a channel shuffle: channels seen as [G0, G1] (swapped: [G1, G0]) become one
// axis again; swapped, out channel j·G0 + i is in channel i·G1 + j.
func (im *importer) ungroup(nd *onnx.NodeProto, v value) error {
	g := v.groups
	v.groups = [2]int{}
	if !v.swapped {
		im.vals[nd.GetOutput()[0]] = v
		return nil
	}
	s := im.net.Slots[v.slot]
	perm := make([]int, s[0])
	for i := range g[0] {
		for j := range g[1] {
			perm[j*g[0]+i] = i*g[1] + j
		}
	}
	im.emit(nd, Op{Kind: OpChannels, In: v.slot, Perm: perm}, s, false)
	return nil
}

// transpose imports the permutes of activations this reader follows as layouts.
func (im *importer) transpose(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	if v.pad != [4]int{} {
		return im.errorf(nd, "transposes a padded activation")
	}
	perm := nd.Ints("perm")
	if v.tok != nil || v.flat {
		return im.tokTranspose(nd, v, perm)
	}
	switch {
	case v.groups != [2]int{} && slices.Equal(perm, []int64{0, 2, 1, 3, 4}):
		v.swapped = !v.swapped
	case v.plainLayout() && slices.Equal(perm, []int64{0, 2, 3, 1}):
		v.nhwc = true
	case v.nhwc && slices.Equal(perm, []int64{0, 3, 1, 2}):
		v.nhwc = false
	case v.groups == [2]int{}:
		return im.tokTranspose(nd, v, perm)
	default:
		return im.errorf(nd, "permutation %v; supported: NCHW↔NHWC (0,2,3,1 and 0,3,1,2) and swapping channel groups (0,2,1,3,4)", perm)
	}
	im.vals[nd.GetOutput()[0]] = v
	return nil
}

// channelAxis reports whether axis a of value v (as it is seen) is its channel axis.
func channelAxis(v value, a int) bool {
	if v.nhwc {
		return a == 3 || a == -1
	}
	return a == 1 || a == -3
}

// selectChannels emits an OpChannels taking channels perm of v as output o of nd.
func (im *importer) selectChannels(nd *onnx.NodeProto, o int, v value, perm []int) {
	s := im.net.Slots[v.slot]
	n := im.net
	n.Slots = append(n.Slots, [3]int{len(perm), s[1], s[2]})
	n.Ops = append(n.Ops, Op{Kind: OpChannels, In: v.slot, Out: len(n.Slots) - 1, Perm: perm})
	im.vals[nd.GetOutput()[o]] = value{slot: len(n.Slots) - 1, nhwc: v.nhwc}
	if v.tok != nil {
		im.bind(nd, o, len(n.Slots)-1, withChannels(v.tok, len(perm)))
	}
}

// split imports Split along the channels (torch.chunk, torch.split).
func (im *importer) split(nd *onnx.NodeProto) error {
	v, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	if v.flat {
		v = im.asTok(v)
	}
	if v.tok != nil && (axisOf(nd.Int("axis", 0), len(v.tok.axes)) != len(v.tok.axes)-1 || !im.lastIsChannels(v)) {
		return im.tokErr(nd, v, "split on an axis other than the features")
	}
	if v.tok == nil && !channelAxis(v, int(nd.Int("axis", 0))) {
		return im.errorf(nd, "split on axis %d; only the channel axis is supported", nd.Int("axis", 0))
	}
	c := im.net.Slots[v.slot][0]
	var sizes []int
	if s := im.constInput(nd, 1); s != nil {
		sizes = s.ints()
	} else if a := nd.Ints("split"); a != nil {
		for _, x := range a {
			sizes = append(sizes, int(x))
		}
	} else {
		k := len(nd.GetOutput())
		if c%k != 0 {
			return im.errorf(nd, "%d channels in %d equal parts", c, k)
		}
		for range k {
			sizes = append(sizes, c/k)
		}
	}
	if len(sizes) != len(nd.GetOutput()) {
		return im.errorf(nd, "%d sizes for %d outputs", len(sizes), len(nd.GetOutput()))
	}
	lo := 0
	for o, size := range sizes {
		if size < 1 || lo+size > c {
			return im.errorf(nd, "split sizes %v of %d channels", sizes, c)
		}
		perm := make([]int, size)
		for i := range perm {
			perm[i] = lo + i
		}
		im.selectChannels(nd, o, v, perm)
		lo += size
	}
	return nil
}

// slice imports Slice of an activation along its channels (the batch axis, if named, kept
// whole).
func (im *importer) slice(nd *onnx.NodeProto) error {
	v, err := im.elementwise(nd, 0)
	if err != nil {
		return err
	}
	if v.flat {
		v = im.asTok(v)
	}
	var in []*constant
	for i := range nd.GetInput() {
		in = append(in, im.constInput(nd, i))
		if in[i] == nil && i > 0 && nd.GetInput()[i] != "" {
			return im.errorf(nd, "input %q is not a constant", nd.GetInput()[i])
		}
	}
	if len(in) < 3 {
		return im.errorf(nd, "slice without starts and ends inputs (opset 10 on)")
	}
	starts, ends := in[1].ints(), in[2].ints()
	axes := make([]int, len(starts))
	for i := range axes {
		axes[i] = i
	}
	if len(in) > 3 && in[3] != nil {
		axes = in[3].ints()
	}
	steps := make([]int, len(starts))
	for i := range steps {
		steps[i] = 1
	}
	if len(in) > 4 && in[4] != nil {
		steps = in[4].ints()
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return im.errorf(nd, "slice with %d starts, %d ends, %d axes and %d steps; want as many of each", len(starts), len(ends), len(axes), len(steps))
	}
	if v.tok != nil {
		return im.tokSlice(nd, v, axes, starts, ends, steps)
	}
	if v.nhwc && slices.ContainsFunc(axes, func(a int) bool { a = axisOf(int64(a), 4); return a == 1 || a == 2 }) {
		return im.nhwcSlice(nd, v, axes, starts, ends, steps)
	}
	c := im.net.Slots[v.slot][0]
	var perm []int
	for j, a := range axes {
		switch {
		case channelAxis(v, a) && len(starts) > j && len(ends) > j:
			perm = sliceAxis(c, starts[j], ends[j], steps[j])
		case a == 0 && starts[j] == 0 && ends[j] >= 1 && steps[j] == 1:
		default:
			return im.errorf(nd, "slice on axis %d; only the channel axis is supported", a)
		}
	}
	if len(perm) == 0 {
		return im.errorf(nd, "slice keeps no channel")
	}
	im.selectChannels(nd, 0, v, perm)
	return nil
}
