package train

import (
	"fmt"

	"landscape/model"
)

// The layers of imported graphs (ONNX) in HVP: forward, backward and their R-operators for
// every model.OpKind past OpLinear, and for convolutions, max pools and linear layers in the
// forms the zoo does not use (a model.Window, groups, an [in, out] weight). The zoo's layers
// keep their im2col kernels in hvp.go.

// graphOp reports whether op takes the graph path.
func graphOp(op model.Op) bool {
	switch op.Kind {
	case model.OpConv:
		return op.Win.KH > 0 || op.Groups > 1 || op.TransW
	case model.OpMaxPool:
		return op.Win.KH > 0
	case model.OpLinear:
		return op.TransW
	}
	return op.Kind > model.OpLinear
}

// hvpOps are the op kinds with a Hessian-vector product: every kind of the zoo, of imported
// CNN graphs and of vision transformers. A kind added to model later is refused by
// checkHVPOps until it has its forward, backward and R-operators here.
var hvpOps = map[model.OpKind]bool{
	model.OpConv: true, model.OpBatchNorm: true, model.OpReLU: true, model.OpAdd: true, model.OpMaxPool: true,
	model.OpGlobalAvgPool: true, model.OpLinear: true, model.OpAvgPool: true, model.OpConcat: true, model.OpClip: true,
	model.OpLeakyReLU: true, model.OpSigmoid: true, model.OpMul: true, model.OpHardSigmoid: true, model.OpHardSwish: true,
	model.OpSiLU: true, model.OpGELU: true, model.OpGELUTanh: true, model.OpTanh: true, model.OpArith: true,
	model.OpLayerNorm: true, model.OpChannels: true,
	model.OpSoftmax: true, model.OpMatMul: true, model.OpCatTokens: true, model.OpPixels: true,
}

// checkHVPOps returns an error naming the first op of n that the products do not support.
func checkHVPOps(n *model.Net) error {
	for i, op := range n.Ops {
		if !hvpOps[op.Kind] {
			return fmt.Errorf("model %s: op %d (%v) has no Hessian-vector product yet: landscape hessian cannot take this network (scan can)", n.Name, i, op.Kind)
		}
		if op.Kind == model.OpArith && op.Weight == "" && len(op.Const) == 0 {
			return fmt.Errorf("model %s: op %d (arithmetic %c) has no operand", n.Name, i, op.Arith)
		}
	}
	return nil
}

// chunkView is what a graph op sees of one chunk of b images.
type chunkView[T Float] struct {
	in, out, rin, rout     []T
	gIn, gOut, rgIn, rgOut []T
	P, b                   int // input pixels, images
	withV                  bool
}

func (h *HVP[T]) view(w *hvpWorker[T], op model.Op, b int, withV bool) chunkView[T] {
	size := func(s int) int { sh := h.Model.Slots[s]; return sh[0] * sh[1] * sh[2] * b }
	s := h.Model.Slots[op.In]
	v := chunkView[T]{in: w.act[op.In][:size(op.In)], out: w.act[op.Out][:size(op.Out)], P: s[1] * s[2], b: b, withV: withV,
		gIn: w.grad[op.In], gOut: w.grad[op.Out]}
	if withV {
		v.rin, v.rout = w.ract[op.In][:size(op.In)], w.ract[op.Out][:size(op.Out)]
		v.rgIn, v.rgOut = w.rgrad[op.In], w.rgrad[op.Out]
	}
	return v
}

// graphForward computes op's output and, with withV, its tangent.
func (h *HVP[T]) graphForward(w *hvpWorker[T], i int, op model.Op, b int, withV bool) {
	n, c := h.Model, h.view(w, op, b, withV)
	is, os := n.Slots[op.In], n.Slots[op.Out]
	switch op.Kind {
	case model.OpConv, model.OpLinear:
		h.linearGraph(w, op, c, true)
	case model.OpMaxPool:
		maxPoolWindow(op.Window(), c.out, c.in, w.arg[i], is[1], is[2], os[1], os[2], is[0]*b)
		if withV {
			gatherPool(c.rout, c.rin, w.arg[i], is[1]*is[2], os[1]*os[2], is[0]*b)
		}
	case model.OpAvgPool:
		avgPoolWindow(op.Window(), c.out, c.in, is[1], is[2], os[1], os[2], is[0]*b)
		if withV {
			avgPoolWindow(op.Window(), c.rout, c.rin, is[1], is[2], os[1], os[2], is[0]*b)
		}
	case model.OpConcat:
		off := 0
		for _, s := range op.Ins {
			m := len(w.act[s]) / h.chunk * b
			copy(c.out[off:], w.act[s][:m])
			if withV {
				copy(c.rout[off:], w.ract[s][:m])
			}
			off += m
		}
	case model.OpChannels:
		M := b * c.P
		for o, src := range op.Perm {
			copy(c.out[o*M:][:M], c.in[src*M:][:M])
			if withV {
				copy(c.rout[o*M:][:M], c.rin[src*M:][:M])
			}
		}
	case model.OpMul:
		b2, rb2 := h.second(w, op, b, withV)
		mulForward(c.out, c.rout, c.in, c.rin, b2, rb2, c.P)
	case model.OpLayerNorm:
		l := h.layerNorm(w, op, c)
		var beta []T
		if op.Bias != "" {
			beta, _, _, _ = h.param(w, op.Bias)
		}
		l.forward(c.out, c.rout, c.in, c.rin, beta)
	case model.OpSoftmax, model.OpMatMul, model.OpCatTokens, model.OpPixels:
		h.attnForward(w, op, c)
	case model.OpBatchNorm:
		panic("train: batch norm takes hvp.go's path")
	default:
		p := h.pointwise(w, op, c)
		p.forward(c.out, c.rout, c.in, c.rin)
	}
}

// graphBackward accumulates the gradients of op's inputs and parameters and, with withV,
// their R{·}.
func (h *HVP[T]) graphBackward(w *hvpWorker[T], i int, op model.Op, b int, withV bool) {
	n, c := h.Model, h.view(w, op, b, withV)
	is, os := n.Slots[op.In], n.Slots[op.Out]
	switch op.Kind {
	case model.OpConv, model.OpLinear:
		h.linearGraph(w, op, c, false)
	case model.OpMaxPool:
		if c.gIn != nil {
			scatterPool(c.gIn, c.gOut, w.arg[i], is[1]*is[2], os[1]*os[2], is[0]*b)
			if withV {
				scatterPool(c.rgIn, c.rgOut, w.arg[i], is[1]*is[2], os[1]*os[2], is[0]*b)
			}
		}
	case model.OpAvgPool:
		if c.gIn != nil {
			avgPoolWindowBackward(op.Window(), c.gIn, c.gOut, is[1], is[2], os[1], os[2], is[0]*b)
			if withV {
				avgPoolWindowBackward(op.Window(), c.rgIn, c.rgOut, is[1], is[2], os[1], os[2], is[0]*b)
			}
		}
	case model.OpConcat:
		h.concatBackward(w, op, c)
	case model.OpChannels:
		if c.gIn != nil {
			M := b * c.P
			for o, src := range op.Perm {
				accumulate(c.gIn[src*M:][:M], c.gOut[o*M:][:M])
				if withV {
					accumulate(c.rgIn[src*M:][:M], c.rgOut[o*M:][:M])
				}
			}
		}
	case model.OpMul:
		b2, rb2 := h.second(w, op, b, withV)
		mulBackward(c.gIn, w.grad[op.In2], c.rgIn, w.rgrad[op.In2], c.gOut, c.rgOut, c.in, c.rin, b2, rb2)
	case model.OpLayerNorm:
		h.layerNorm(w, op, c).backward(c.gIn, c.rgIn, c.gOut, c.rgOut, c.in, c.rin)
	case model.OpSoftmax, model.OpMatMul, model.OpCatTokens, model.OpPixels:
		h.attnBackward(w, op, c)
	default:
		h.pointwise(w, op, c).backward(c.gIn, c.rgIn, c.gOut, c.rgOut, c.in, c.rin)
	}
}

// second returns the chunk's second operand of a Mul and its tangent (nil without withV).
func (h *HVP[T]) second(w *hvpWorker[T], op model.Op, b int, withV bool) (x, rx []T) {
	m := len(w.act[op.In2]) / h.chunk * b
	if withV {
		rx = w.ract[op.In2][:m]
	}
	return w.act[op.In2][:m], rx
}

func (h *HVP[T]) concatBackward(w *hvpWorker[T], op model.Op, c chunkView[T]) {
	off := 0
	for _, s := range op.Ins {
		m := len(w.act[s]) / h.chunk * c.b
		if w.grad[s] != nil {
			accumulate(w.grad[s][:m], c.gOut[off:][:m])
			if c.withV {
				accumulate(w.rgrad[s][:m], c.rgOut[off:][:m])
			}
		}
		off += m
	}
}

// linearGraph runs a general convolution or an [in, out] linear layer forward (fwd) or
// backward, with the R-operator when c.withV.
func (h *HVP[T]) linearGraph(w *hvpWorker[T], op model.Op, c chunkView[T], fwd bool) {
	W, V, gW, hvW := h.param(w, op.Weight)
	B, VB, gB, hvB := h.param(w, op.Bias)
	n := h.Model
	if op.Kind == model.OpConv {
		g := newGConv(n, op, c.b)
		switch {
		case fwd:
			clear(c.out)
			convGraphForward(g, c.out, c.in, W, B)
			if c.withV {
				clear(c.rout)
				convGraphForward(g, c.rout, c.in, V, VB)
				convGraphForward(g, c.rout, c.rin, W, nil)
			}
		default:
			convGraphBackward(g, gW, gB, c.gIn, c.gOut, c.in, W)
			if c.withV {
				convGraphBackward(g, hvW, hvB, c.rgIn, c.rgOut, c.in, W)
				convGraphBackward(g, hvW, nil, c.rgIn, c.gOut, c.rin, V)
			}
		}
		return
	}
	s := n.Slots[op.In]
	O := n.Slots[op.Out][0]
	switch {
	case fwd:
		clear(c.out)
		linearTForward(c.out, c.in, W, B, s[0], c.P, O, c.b)
		if c.withV {
			clear(c.rout)
			linearTForward(c.rout, c.in, V, VB, s[0], c.P, O, c.b)
			linearTForward(c.rout, c.rin, W, nil, s[0], c.P, O, c.b)
		}
	default:
		linearTBackward(gW, gB, c.gIn, c.gOut, c.in, W, s[0], c.P, O, c.b)
		if c.withV {
			linearTBackward(hvW, hvB, c.rgIn, c.rgOut, c.in, W, s[0], c.P, O, c.b)
			linearTBackward(hvW, nil, c.rgIn, c.gOut, c.rin, V, s[0], c.P, O, c.b)
		}
	}
}

// pointwise returns the element-wise view of an activation or arithmetic op.
func (h *HVP[T]) pointwise(w *hvpWorker[T], op model.Op, c chunkView[T]) *pointwise[T] {
	p := &pointwise[T]{op: &op, M: c.b * c.P, P: c.P, C: h.Model.Slots[op.In][0]}
	if op.Kind == model.OpArith {
		if op.Weight != "" {
			p.v, p.V, p.gV, p.hV = h.param(w, op.Weight)
			if !c.withV {
				p.V = nil
			}
		} else {
			p.cv = op.Const
		}
	}
	return p
}

// layerNorm returns the layer-norm view of op on the chunk.
func (h *HVP[T]) layerNorm(w *hvpWorker[T], op model.Op, c chunkView[T]) *layerNorm[T] {
	l := newLayerNorm[T](h.Model.Slots[op.In][0], c.b*c.P, op.BNEpsilon())
	if op.Weight != "" {
		l.gamma, l.vGamma, l.gGamma, l.hGamma = h.param(w, op.Weight)
	}
	if op.Bias != "" {
		_, l.vBeta, l.gBeta, l.hBeta = h.param(w, op.Bias)
	}
	if !c.withV {
		l.vGamma, l.vBeta = nil, nil
	}
	return l
}
