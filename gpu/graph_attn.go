package gpu

import (
	"fmt"

	"landscape/kernels"
	"landscape/model"
)

// graphAttn queues plan layer i, a layer of a vision transformer (tokens [T, D] in slots
// [D, T, 1], model/onnx_attn.go), for k weight sets of b images: OpSoftmax (attn.cu's
// softmax_heads), OpMatMul (bmm.cu: matmul_heads in fp32, the mma.sync kernels in tf32 and
// bf16), OpCatTokens (cat_tokens, the tokens weight set k's vector of the folded vector) or
// OpPixels (gather_pixels through the layer's Perm table, −1 a zero). in and inSet are its input and that
// input's weight-set stride; operand gives another input buffer's.
func (e *Engine) graphAttn(k, b, i int, pl *model.Layer, in ptr, inSet int, out ptr, operand func(buf int, shape [3]int) (ptr, int)) error {
	ll := e.layout.Layers[i]
	c, hw, hwOut := pl.InShape[0], pl.InShape[1]*pl.InShape[2], pl.OutShape[1]*pl.OutShape[2]
	block := dim{graphThreads, 1, 1}
	switch pl.Kind {
	case model.OpSoftmax:
		if pl.Heads < 1 || c%pl.Heads != 0 {
			return fmt.Errorf("gpu: layer %d: softmax over %d heads of %d channels", i, pl.Heads, c)
		}
		return launchSoftmaxHeads(e, kSoftmaxHeads, dim{blocks(b*pl.Heads*hw, graphThreads), 1, k}, block, softmaxHeadsArgs{
			In: in, InSetStride: cint64(inSet), Out: out, B: cint(b), C: cint(c), HW: cint(hw), Heads: cint(pl.Heads)})
	case model.OpCatTokens:
		return launchCatTokens(e, kCatTokens, dim{blocks(b*c*hwOut, graphThreads), 1, k}, block, catTokensArgs{
			In: in, InSetStride: cint64(inSet), Tok: e.folded + ptr(4*ll.WOut), WSetStride: cint64(e.layout.Folded),
			Out: out, B: cint(b), C: cint(c), HWin: cint(hw), Kt: cint(hwOut - hw)})
	case model.OpPixels:
		return launchGatherPixels(e, kGatherPixels, dim{blocks(b*c*hwOut, graphThreads), 1, k}, block, gatherPixelsArgs{
			In: in, InSetStride: cint64(inSet), Perm: e.perms[i], Out: out, B: cint(b), C: cint(c), HWin: cint(hw), HWout: cint(hwOut)})
	case model.OpMatMul:
		return e.matmulHeads(k, b, i, pl, in, inSet, out, operand)
	}
	return fmt.Errorf("gpu: layer %d: unsupported %s", i, pl.Kind)
}

// matmulHeads queues OpMatMul layer i: per weight set, image, head g and window, Out_g =
// op(In2_g)·In_g (model.MatMulDims), In2's slot checked to hold the heads' operands exactly.
func (e *Engine) matmulHeads(k, b, i int, pl *model.Layer, in ptr, inSet int, out ptr, operand func(buf int, shape [3]int) (ptr, int)) error {
	m, n, kd := model.MatMulDims(pl.Heads, pl.InShape, pl.OutShape)
	win := model.WindowCount(pl.Windows)
	if pl.Heads < 1 || pl.InShape[0]%pl.Heads != 0 || pl.OutShape[0]%pl.Heads != 0 || m%win != 0 {
		return fmt.Errorf("gpu: layer %d: matmul of %d heads over %d → %d channels, %d pixels in %d windows",
			i, pl.Heads, pl.InShape[0], pl.OutShape[0], m, win)
	}
	m /= win          // each window's pixels
	rows, hw := n, kd // In2_g is N×Kd, or Kd×N read transposed, per window
	if pl.TransA {
		rows, hw = kd, n
	}
	hw *= win
	shape2, err := producedShape(e.p.Plan, i, pl.In2)
	if err != nil {
		return err
	}
	if shape2[0] != pl.Heads*rows || shape2[1]*shape2[2] != hw {
		return fmt.Errorf("gpu: layer %d: matmul's second operand is %v, not %d heads of %d×%d", i, shape2, pl.Heads, rows, hw)
	}
	p2, p2Set := operand(pl.In2, shape2)
	args := bmmArgs{A: in, ASetStride: cint64(inSet), P: p2, PSetStride: cint64(p2Set), Out: out, B: cint(b),
		Heads: cint(pl.Heads), M: cint(m), N: cint(n), Kd: cint(kd), Trans: cint(b2i(pl.TransA)), Windows: cint(win)}
	switch e.conv {
	case "tf32", "bf16":
		name := map[string]bmmKernel{"tf32": kMatmulHeadsTf32, "bf16": kMatmulHeadsBf16}[e.conv]
		return launchBmm(e, name, dim{BmmBlocks(b*win, pl.Heads, m, n), 1, k}, dim{kernels.BmmThreads, 1, 1}, args)
	}
	return launchBmm(e, kMatmulHeads, dim{blocks(b*pl.OutShape[0]*m*win, graphThreads), 1, k}, dim{graphThreads, 1, 1}, args)
}

// BmmBlocks is the number of blocks of bmm.cu's mma kernels for b images (times windows) of
// heads products N×M: one per BmmTile×BmmTile output tile.
func BmmBlocks(b, heads, m, n int) int {
	return b * heads * ceilDiv(n, kernels.BmmTile) * ceilDiv(m, kernels.BmmTile)
}

// producedShape returns the shape of the value plan layer i reads from buffer buf: the output
// of the last layer before i that writes buf.
func producedShape(plan *model.Plan, i, buf int) ([3]int, error) {
	for j := i - 1; j >= 0; j-- {
		if plan.Layers[j].Out == buf {
			return plan.Layers[j].OutShape, nil
		}
	}
	return [3]int{}, fmt.Errorf("gpu: layer %d reads buffer %d, which no earlier layer writes", i, buf)
}
