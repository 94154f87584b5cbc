package train

import (
	"math"

	"landscape/model"
)

// The operators of vision transformers for HVP (model/onnx_attn.go's layout: the tokens [T, D]
// of an image are a slot [D, T, 1], features as channels and tokens as pixels; in a chunk of b
// images channel c of image i, pixel p is at c·b·P + i·P + p).
//
// Softmax over each group of g channels of a pixel, y = softmax(x), has the symmetric
// Jacobian J = diag y − y yᵀ, so
//
//	Ry = y⊙(Rx − ⟨y, Rx⟩),  g_x = y⊙(g_y − ⟨y, g_y⟩),
//	Rg_x = Ry⊙(g_y − ⟨y, g_y⟩) + y⊙(Rg_y − ⟨Ry, g_y⟩ − ⟨y, Rg_y⟩)
//
// (⟨·,·⟩ sums over the group). The product of two activations Y = op(B)·A (per image and
// head) is bilinear: RY = op(RB)·A + op(B)·RA, g_A = op(B)ᵀ·g_Y, g_op(B) = g_Y·Aᵀ, and the
// R-operator of the backward pass is that backward applied to (Rg_Y; A, B) plus (g_Y; RA, RB).
// Token concatenation, token selection and position embeddings are linear, so their
// R-operators are their own forms applied to the tangents.

// softmaxHVP runs an OpSoftmax over a chunk: forward (y and, with ry, Ry) or backward (g_x
// and, with rgy, Rg_x), in float64 per group.
type softmaxHVP[T Float] struct {
	C, M, g int // channels, columns (images·pixels), channels per group
}

func newSoftmaxHVP[T Float](n *model.Net, op model.Op, c chunkView[T]) softmaxHVP[T] {
	C := n.Slots[op.In][0]
	return softmaxHVP[T]{C: C, M: c.b * c.P, g: C / op.Heads}
}

// groups calls f with the indices of each group of channels of each column.
func (s softmaxHVP[T]) groups(f func(idx []int)) {
	idx := make([]int, s.g)
	for h := range s.C / s.g {
		for m := range s.M {
			for j := range idx {
				idx[j] = (h*s.g+j)*s.M + m
			}
			f(idx)
		}
	}
}

func (s softmaxHVP[T]) forward(y, ry, x, rx []T) {
	e := make([]float64, s.g)
	s.groups(func(idx []int) {
		mx := math.Inf(-1)
		for _, i := range idx {
			mx = max(mx, float64(x[i]))
		}
		var sum float64
		for j, i := range idx {
			e[j] = math.Exp(float64(x[i]) - mx)
			sum += e[j]
		}
		var dot float64
		for j, i := range idx {
			e[j] /= sum
			y[i] = T(e[j])
			if ry != nil {
				dot += e[j] * float64(rx[i])
			}
		}
		if ry != nil {
			for j, i := range idx {
				ry[i] = T(e[j] * (float64(rx[i]) - dot))
			}
		}
	})
}

// backward accumulates g_x (when gx is not nil) and, when rgy is not nil, Rg_x, from the
// forward's y and Ry.
func (s softmaxHVP[T]) backward(gx, rgx, gy, rgy, y, ry []T) {
	if gx == nil {
		return
	}
	s.groups(func(idx []int) {
		var yg, rg, yrg float64 // ⟨y, g_y⟩, ⟨Ry, g_y⟩, ⟨y, Rg_y⟩
		for _, i := range idx {
			yg += float64(y[i]) * float64(gy[i])
			if rgy != nil {
				rg += float64(ry[i]) * float64(gy[i])
				yrg += float64(y[i]) * float64(rgy[i])
			}
		}
		for _, i := range idx {
			yi, gi := float64(y[i]), float64(gy[i])
			gx[i] += T(yi * (gi - yg))
			if rgy != nil {
				rgx[i] += T(float64(ry[i])*(gi-yg) + yi*(float64(rgy[i])-rg-yrg))
			}
		}
	})
}

// matMulHVP is an OpMatMul on a chunk of b images: per image, head and window, Y (N×mw) =
// op(B)·A with A (K×mw) the rows of In, B the rows of In2 (N×K, or K×N read transposed when
// trans), row strides b·m (A, Y) and b·hwB (B); the m pixels of an image (hwB of In2) are
// windows consecutive groups of mw (hwB/windows).
type matMulHVP[T Float] struct {
	heads, m, n, k, hwB, b, windows int
	trans                           bool
}

func newMatMulHVP[T Float](n *model.Net, op model.Op, b int) matMulHVP[T] {
	m, nn, k := model.MatMulDims(op.Heads, n.Slots[op.In], n.Slots[op.Out])
	hwB := k
	if op.TransA {
		hwB = nn
	}
	win := model.WindowCount(op.Windows)
	return matMulHVP[T]{heads: op.Heads, m: m, n: nn, k: k, hwB: hwB * win, b: b, windows: win, trans: op.TransA}
}

// each calls f with the offsets of A, B and Y of every image, head and window.
func (mm matMulHVP[T]) each(f func(a, bo, y int)) {
	rowsB := mm.n
	if mm.trans {
		rowsB = mm.k
	}
	ldA, ldB := mm.b*mm.m, mm.b*mm.hwB
	mw, bw := mm.m/mm.windows, mm.hwB/mm.windows
	for img := range mm.b {
		for g := range mm.heads {
			for w := range mm.windows {
				f(g*mm.k*ldA+img*mm.m+w*mw, g*rowsB*ldB+img*mm.hwB+w*bw, g*mm.n*ldA+img*mm.m+w*mw)
			}
		}
	}
}

// forward sets (acc false) or adds to (acc true) y = op(B)·A.
func (mm matMulHVP[T]) forward(y, a, bm []T, acc bool) {
	var beta T
	if acc {
		beta = 1
	}
	ldA, ldB := mm.b*mm.m, mm.b*mm.hwB
	mm.each(func(ao, bo, yo int) {
		matmul(mm.trans, false, mm.n, mm.m/mm.windows, mm.k, 1, bm[bo:], ldB, a[ao:], ldA, beta, y[yo:], ldA)
	})
}

// backward accumulates g_A += op(B)ᵀ·g_Y and g_op(B) += g_Y·Aᵀ (either gradient may be nil).
func (mm matMulHVP[T]) backward(ga, gb, gy, a, bm []T) {
	ldA, ldB := mm.b*mm.m, mm.b*mm.hwB
	mm.each(func(ao, bo, yo int) {
		if ga != nil {
			matmul(!mm.trans, false, mm.k, mm.m/mm.windows, mm.n, 1, bm[bo:], ldB, gy[yo:], ldA, 1, ga[ao:], ldA)
		}
		switch {
		case gb == nil:
		case mm.trans: // B is K×N: g_B += A·g_Yᵀ
			matmul(false, true, mm.k, mm.n, mm.m/mm.windows, 1, a[ao:], ldA, gy[yo:], ldA, 1, gb[bo:], ldB)
		default: // B is N×K: g_B += g_Y·Aᵀ
			matmul(false, true, mm.n, mm.k, mm.m/mm.windows, 1, gy[yo:], ldA, a[ao:], ldA, 1, gb[bo:], ldB)
		}
	})
}

// attnForward runs the transformer ops forward on a chunk, with tangents when c.withV.
func (h *HVP[T]) attnForward(w *hvpWorker[T], op model.Op, c chunkView[T]) {
	n := h.Model
	switch op.Kind {
	case model.OpSoftmax:
		newSoftmaxHVP(n, op, c).forward(c.out, c.rout, c.in, c.rin)
	case model.OpMatMul:
		mm := newMatMulHVP[T](n, op, c.b)
		bm, rbm := h.second(w, op, c.b, c.withV)
		mm.forward(c.out, c.in, bm, false)
		if c.withV {
			mm.forward(c.rout, c.in, rbm, false)
			mm.forward(c.rout, c.rin, bm, true)
		}
	case model.OpCatTokens:
		W, V, _, _ := h.param(w, op.Weight)
		t := h.tokens(op, c)
		t.cat(c.out, c.in, W)
		if c.withV {
			t.cat(c.rout, c.rin, V)
		}
	case model.OpPixels:
		t := h.tokens(op, c)
		t.pick(c.out, c.in, op.Perm)
		if c.withV {
			t.pick(c.rout, c.rin, op.Perm)
		}
	}
}

// attnBackward runs the transformer ops backward on a chunk, with R{·} when c.withV.
func (h *HVP[T]) attnBackward(w *hvpWorker[T], op model.Op, c chunkView[T]) {
	n := h.Model
	switch op.Kind {
	case model.OpSoftmax:
		newSoftmaxHVP(n, op, c).backward(c.gIn, c.rgIn, c.gOut, c.rgOut, c.out, c.rout)
	case model.OpMatMul:
		mm := newMatMulHVP[T](n, op, c.b)
		bm, rbm := h.second(w, op, c.b, c.withV)
		gb := w.grad[op.In2]
		mm.backward(c.gIn, gb, c.gOut, c.in, bm)
		if c.withV {
			rgb := w.rgrad[op.In2]
			mm.backward(c.rgIn, rgb, c.rgOut, c.in, bm)
			mm.backward(c.rgIn, rgb, c.gOut, c.rin, rbm)
		}
	case model.OpCatTokens:
		_, _, gW, hW := h.param(w, op.Weight)
		t := h.tokens(op, c)
		t.catBackward(c.gIn, gW, c.gOut)
		if c.withV {
			t.catBackward(c.rgIn, hW, c.rgOut)
		}
	case model.OpPixels:
		if c.gIn != nil {
			t := h.tokens(op, c)
			t.pickBackward(c.gIn, c.gOut, op.Perm)
			if c.withV {
				t.pickBackward(c.rgIn, c.rgOut, op.Perm)
			}
		}
	}
}

// tokenMap is the geometry of an op that moves whole tokens: C channels, b images of pin input
// and pout output pixels.
type tokenMap[T Float] struct{ C, b, pin, pout int }

func (h *HVP[T]) tokens(op model.Op, c chunkView[T]) tokenMap[T] {
	o := h.Model.Slots[op.Out]
	return tokenMap[T]{C: o[0], b: c.b, pin: c.P, pout: o[1] * o[2]}
}

// cat sets out's first k = pout − pin tokens of every image to wt's (pixel-major [k, C]) and
// the rest to in's.
func (t tokenMap[T]) cat(out, in, wt []T) {
	k := t.pout - t.pin
	for ch := range t.C {
		for img := range t.b {
			o := out[(ch*t.b+img)*t.pout:][:t.pout]
			for p := range k {
				o[p] = wt[p*t.C+ch]
			}
			copy(o[k:], in[(ch*t.b+img)*t.pin:][:t.pin])
		}
	}
}

// catBackward accumulates cat's gradients: g_in (when not nil) from the last pin tokens, g_w
// summed over the images from the first k.
func (t tokenMap[T]) catBackward(gIn, gW, gOut []T) {
	k := t.pout - t.pin
	for ch := range t.C {
		for img := range t.b {
			g := gOut[(ch*t.b+img)*t.pout:][:t.pout]
			if gW != nil {
				for p := range k {
					gW[p*t.C+ch] += g[p]
				}
			}
			if gIn != nil {
				accumulate(gIn[(ch*t.b+img)*t.pin:][:t.pin], g[k:])
			}
		}
	}
}

// pick sets out pixel j of every channel and image to in pixel perm[j], 0 where perm[j] < 0.
func (t tokenMap[T]) pick(out, in []T, perm []int) {
	for r := range t.C * t.b {
		o, x := out[r*t.pout:][:t.pout], in[r*t.pin:][:t.pin]
		for j, p := range perm {
			if p < 0 {
				o[j] = 0 // zero padding
			} else {
				o[j] = x[p]
			}
		}
	}
}

// pickBackward accumulates g_in pixel perm[j] += g_out pixel j (none where perm[j] < 0).
func (t tokenMap[T]) pickBackward(gIn, gOut []T, perm []int) {
	for r := range t.C * t.b {
		gi, g := gIn[r*t.pin:][:t.pin], gOut[r*t.pout:][:t.pout]
		for j, p := range perm {
			if p >= 0 {
				gi[p] += g[j]
			}
		}
	}
}
