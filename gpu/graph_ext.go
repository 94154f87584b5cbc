package gpu

import (
	"fmt"

	"landscape/kernels"
	"landscape/model"
)

// arithOps are the codes of kernels/graph.cuh's enum ArithOp (kernels.ArithOp) of model.Layer.Arith.
var arithOps = map[byte]kernels.ArithOp{'+': kernels.ArithOpAdd, '-': kernels.ArithOpSub, '*': kernels.ArithOpMul, '/': kernels.ArithOpDiv}

// graphExt queues plan layer i of kind OpArith (eltwise.cu's arith, its operand weight set k's
// vector of the folded vector, read through the layer's Perm table when it has one), OpLayerNorm (layernorm.cu, γ and β from the folded vector) or
// OpChannels (concat.cu's gather_channels through the layer's Perm table), for k weight sets
// of b images; in and inSet are its input and that input's weight-set stride.
func (e *Engine) graphExt(k, b, i int, pl *model.Layer, in ptr, inSet int, out ptr) error {
	ll, folded, wSet := e.layout.Layers[i], e.folded, cint64(e.layout.Folded)
	c, hw := pl.InShape[0], pl.InShape[1]*pl.InShape[2]
	block := dim{graphThreads, 1, 1}
	grid := dim{blocks(b*pl.OutShape[0]*hw, graphThreads), 1, k}
	switch pl.Kind {
	case model.OpArith:
		op, ok := arithOps[pl.Arith]
		if !ok {
			return fmt.Errorf("gpu: layer %d: arithmetic operator %q", i, pl.Arith)
		}
		return launchArith(e, kArith, grid, block, arithArgs{In: in, InSetStride: cint64(inSet), Vec: folded + ptr(4*ll.WOut),
			WSetStride: wSet, VecMode: cint(vectorMode(pl, ll.Vector)), Index: e.perms[i], Out: out, B: cint(b), C: cint(c), HW: cint(hw),
			Op: cint(op), Rev: cint(b2i(pl.Rev))})
	case model.OpLayerNorm:
		return launchLayernormChannels(e, kLayernormChannels, dim{blocks(b*hw, graphThreads), 1, k}, block, layernormChannelsArgs{
			In: in, InSetStride: cint64(inSet), Gamma: folded + ptr(4*ll.WOut), Beta: folded + ptr(4*ll.BOut), WSetStride: wSet,
			Out: out, B: cint(b), C: cint(c), HW: cint(hw), Eps: pl.BNEpsilon()})
	case model.OpChannels:
		return launchGatherChannels(e, kGatherChannels, grid, block, gatherChannelsArgs{In: in, InSetStride: cint64(inSet),
			Perm: e.perms[i], Out: out, B: cint(b), Cin: cint(c), C: cint(pl.OutShape[0]), HW: cint(hw)})
	}
	return fmt.Errorf("gpu: layer %d: unsupported %s", i, pl.Kind)
}

// epilogue queues, in place on out (n floats per weight set), the ReLU or activation a plan
// fused into layer pl, if any (Compile fuses none into these kinds today; the CPU applies one
// when present, so this does too).
func (e *Engine) epilogue(k, n int, pl *model.Layer, out ptr) error {
	act := 0
	switch {
	case pl.HasAct:
		act = actCode(pl.Act)
	case pl.ReLU:
		act = actCode(model.OpReLU)
	default:
		return nil
	}
	return launchActivate(e, kActivate, dim{blocks(n, graphThreads), 1, k}, dim{graphThreads, 1, 1}, activateArgs{In: out,
		InSetStride: cint64(n), Out: out, N: cint64(n), Act: cint(act), Lo: pl.Lo, Hi: pl.Hi, Alpha: pl.Alpha, Beta: pl.Beta})
}
