package gpu

import (
	"fmt"

	"landscape/kernels"
	"landscape/model"
)

// The layers of imported graphs (ONNX) on the device: grouped, depthwise, dilated and any-window
// convolutions (kernels/conv_direct.cu), batch norm standing alone and stand-alone activations,
// adds and products, arithmetic by a constant or parameter (eltwise.cu), concatenation over
// channels and channel permutations (concat.cu), LayerNorm over channels (layernorm.cu),
// pooling over any window (pool_window.cu), the token layers of vision transformers (attn.cu,
// bmm.cu: graph_attn.go), and conv or linear layers of the GEMM kernels
// followed by an activation other than ReLU (the activation in place after them). Every kernel
// takes its inputs at a set stride, 0 when they are the images shared by all weight sets.

// graphThreads is the block size of the grid-stride kernels of imported graphs.
const graphThreads = 256

// graphOwns tells whether plan layer pl runs on the kernels of imported graphs (graphLayer)
// rather than on the zoo's path of forward; imagesIn says whether a buffer still holds the images.
func graphOwns(pl *model.Layer, imagesIn func(int) bool) bool {
	switch pl.Kind {
	case model.OpConv, model.OpLinear:
		return Direct(pl) || pl.HasAct
	case model.OpMaxPool, model.OpGlobalAvgPool:
		return pl.Win.KH > 0 || imagesIn(pl.In)
	}
	return true
}

// actCodes are the activation codes of kernels/graph.cuh (enum Act, mirrored by cuda2go as
// kernels.Act) of ReLU and every model.OpKind.IsActivation kind.
var actCodes = map[model.OpKind]kernels.Act{
	model.OpReLU: kernels.ActRelu, model.OpClip: kernels.ActClip, model.OpLeakyReLU: kernels.ActLeaky,
	model.OpSigmoid: kernels.ActSigmoid, model.OpHardSigmoid: kernels.ActHardsigmoid,
	model.OpHardSwish: kernels.ActHardswish, model.OpSiLU: kernels.ActSilu, model.OpGELU: kernels.ActGelu,
	model.OpGELUTanh: kernels.ActGeluTanh, model.OpTanh: kernels.ActTanh,
}

// actCode returns the activation code of op kind a (ACT_NONE for a kind that is none).
func actCode(a model.OpKind) int { return int(actCodes[a]) }

// precCode is the precision code of kernels/graph.cuh for the engine's conv precision.
func (e *Engine) precCode() int {
	return int(map[string]kernels.Prec{"f32": kernels.PrecF32, "tf32": kernels.PrecTf32, "bf16": kernels.PrecBf16}[e.conv])
}

// graphLayer queues plan layer i (graphOwns) for k weight sets of b images; img holds the
// images, which buffers still holding them (imagesIn) stand for.
func (e *Engine) graphLayer(k, b, i int, pl *model.Layer, img ptr, imagesIn func(int) bool) error {
	size := func(s [3]int) int { return s[0] * s[1] * s[2] }
	operand := func(buf int, shape [3]int) (ptr, int) {
		if imagesIn(buf) {
			return img, 0
		}
		return e.bufs[buf], b * size(shape)
	}
	in, inSet := operand(pl.In, pl.InShape)
	out, n := e.bufs[pl.Out], b*size(pl.OutShape)
	grid := dim{blocks(n, graphThreads), 1, k}
	block := dim{graphThreads, 1, 1}
	act, hasAct := 0, pl.HasAct
	if hasAct {
		act = actCode(pl.Act)
	}
	var res ptr
	if pl.Residual >= 0 {
		if imagesIn(pl.Residual) {
			return fmt.Errorf("gpu: layer %d adds the network input, which the kernels do not support", i)
		}
		res = e.bufs[pl.Residual]
	}
	ll, folded, wSet := e.layout.Layers[i], e.folded, cint64(e.layout.Folded)
	c, h, w := pl.InShape[0], pl.InShape[1], pl.InShape[2]
	switch pl.Kind {
	case model.OpConv, model.OpLinear:
		return e.graphConv(k, b, i, pl, in, inSet, res, out, act)
	case model.OpBatchNorm:
		return launchAffine(e, kAffine, grid, block, affineArgs{In: in, InSetStride: cint64(inSet),
			Scale: folded + ptr(4*ll.WOut), Shift: folded + ptr(4*ll.BOut), WSetStride: wSet, Out: out,
			B: cint(b), C: cint(c), HW: cint(h * w), Relu: cint(b2i(pl.ReLU)), Act: cint(act), Lo: pl.Lo, Hi: pl.Hi,
			Alpha: pl.Alpha, Beta: pl.Beta})
	case model.OpArith, model.OpLayerNorm, model.OpChannels:
		if err := e.graphExt(k, b, i, pl, in, inSet, out); err != nil {
			return err
		}
		return e.epilogue(k, n, pl, out)
	case model.OpSoftmax, model.OpMatMul, model.OpCatTokens, model.OpPixels:
		if err := e.graphAttn(k, b, i, pl, in, inSet, out, operand); err != nil {
			return err
		}
		return e.epilogue(k, n, pl, out)
	case model.OpAdd, model.OpMul:
		op, shape2 := kernels.BinaryOpAdd, pl.OutShape
		if pl.Kind == model.OpMul {
			op = kernels.BinaryOpMul
			if pl.Broadcast {
				op, shape2 = kernels.BinaryOpMulChannel, [3]int{c, 1, 1}
			}
		}
		in2, in2Set := operand(pl.In2, shape2)
		return launchBinary(e, kBinary, grid, block, binaryArgs{Lhs: in, LhsSetStride: cint64(inSet), Rhs: in2,
			RhsSetStride: cint64(in2Set), Out: out, B: cint(b), C: cint(c), HW: cint(h * w), Op: cint(op)})
	case model.OpConcat:
		return e.graphConcat(k, b, pl, out, operand)
	case model.OpReLU, model.OpClip, model.OpLeakyReLU, model.OpSigmoid, model.OpHardSigmoid, model.OpHardSwish,
		model.OpSiLU, model.OpGELU, model.OpGELUTanh, model.OpTanh:
		return launchActivate(e, kActivate, grid, block, activateArgs{In: in, InSetStride: cint64(inSet), Out: out,
			N: cint64(n), Act: cint(actCode(pl.Kind)), Lo: pl.Lo, Hi: pl.Hi, Alpha: pl.Alpha, Beta: pl.Beta})
	case model.OpMaxPool, model.OpAvgPool, model.OpGlobalAvgPool:
		win, avg := pl.Window(), pl.Kind != model.OpMaxPool
		if pl.Kind == model.OpGlobalAvgPool {
			win = model.Window{KH: h, KW: w, SH: 1, SW: 1, DH: 1, DW: 1}
		}
		return launchPoolWindow(e, kPoolWindow, grid, block, poolWindowArgs{In: in, InSetStride: cint64(inSet), Out: out,
			B: cint(b), C: cint(c), H: cint(h), W: cint(w), OH: cint(pl.OutShape[1]), OW: cint(pl.OutShape[2]),
			KH: cint(win.KH), KW: cint(win.KW), SH: cint(win.SH), SW: cint(win.SW), DH: cint(win.DH), DW: cint(win.DW),
			PadT: cint(win.PadT), PadL: cint(win.PadL), PadB: cint(win.PadB), PadR: cint(win.PadR),
			Avg: cint(b2i(avg)), CountPad: cint(b2i(win.CountPad))})
	}
	return fmt.Errorf("gpu: layer %d: unsupported %s", i, pl.Kind)
}

// graphConv queues conv or linear layer i of an imported graph: on the implicit-GEMM kernels
// (then its activation, if any, by activate in place), or on conv_direct.
func (e *Engine) graphConv(k, b, i int, pl *model.Layer, in ptr, inSet int, res, out ptr, act int) error {
	n := b * pl.OutShape[0] * pl.OutShape[1] * pl.OutShape[2]
	grid, block := dim{blocks(n, graphThreads), 1, k}, dim{graphThreads, 1, 1}
	if !Direct(pl) {
		if err := e.conv2d(k, b, i, in, inSet, res, out, pl.ReLU); err != nil {
			return err
		}
		return launchActivate(e, kActivate, grid, block, activateArgs{In: out, InSetStride: cint64(n), Out: out,
			N: cint64(n), Act: cint(act), Lo: pl.Lo, Hi: pl.Hi, Alpha: pl.Alpha, Beta: pl.Beta})
	}
	ll, folded, wSet := e.layout.Layers[i], e.folded, cint64(e.layout.Folded)
	c, h, w := pl.InShape[0], pl.InShape[1], pl.InShape[2]
	win := pl.Window()
	return launchConvDirect(e, kConvDirect, grid, block, convDirectArgs{In: in, InSetStride: cint64(inSet),
		Weights: folded + ptr(4*ll.WOut), Bias: folded + ptr(4*ll.BOut), WSetStride: wSet, Res: res, Out: out,
		B: cint(b), Cin: cint(c), H: cint(h), W: cint(w), Cout: cint(pl.OutShape[0]), OH: cint(pl.OutShape[1]), OW: cint(pl.OutShape[2]),
		KH: cint(win.KH), KW: cint(win.KW), SH: cint(win.SH), SW: cint(win.SW), DH: cint(win.DH), DW: cint(win.DW),
		PadT: cint(win.PadT), PadL: cint(win.PadL), G: cint(max(pl.Groups, 1)), Prec: cint(e.precCode()),
		Relu: cint(b2i(pl.ReLU)), Act: cint(act), Lo: pl.Lo, Hi: pl.Hi, Alpha: pl.Alpha, Beta: pl.Beta})
}

// graphConcat queues a concatenation over channels: one concat_copy per input, at its channel
// offset; operand gives an input buffer's address and weight-set stride.
func (e *Engine) graphConcat(k, b int, pl *model.Layer, out ptr, operand func(buf int, shape [3]int) (ptr, int)) error {
	c0, hw := 0, pl.OutShape[1]*pl.OutShape[2]
	for j, buf := range pl.Ins {
		cj := pl.InsC[j]
		src, set := operand(buf, [3]int{cj, pl.OutShape[1], pl.OutShape[2]})
		if err := launchConcatCopy(e, kConcatCopy, dim{blocks(b*cj*hw, graphThreads), 1, k}, dim{graphThreads, 1, 1}, concatCopyArgs{
			In: src, InSetStride: cint64(set), Out: out, B: cint(b), C: cint(cj), HW: cint(hw),
			Ctotal: cint(pl.OutShape[0]), C0: cint(c0)}); err != nil {
			return err
		}
		c0 += cj
	}
	return nil
}
