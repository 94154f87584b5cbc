package cpu

import "landscape/cpu/gemm"

// # Squeeze-excitation's scale, fused into the projection
//
// An EfficientNet block ends x → y = x·s[c] (s one factor per channel and image: the
// squeeze-excitation gate, a broadcast mul step) → a 1×1 projection convolution of y. Instead
// of a pass writing y, the projection reads x and scales it as it goes: in float32 (and in
// bfloat16 on the float32 kernels) x is scaled (and rounded) in place block by block just before
// the product reads each block (gemm.Workspace.Before); in bfloat16 on tiles the pass packing
// the product's channel pairs scales and rounds as it packs (fillPairsScaled). The products are
// the same floats, x·s[c] rounded once, so the results are the same bit for bit; the mul step
// is skipped (seFused). It applies where nothing else reads x or y afterwards (x is
// overwritten) and the projection writes neither x's buffer nor reads it as its residual. The
// factors are copied aside before the product (seS): its output may overwrite their buffer.

// seScale is the scaling a projection step applies to its input (step.se).
type seScale struct {
	mul            *step                     // the skipped mul step: In x, In2 the factors
	x, s           []float32                 // x's rows (ld apart) and the factors (image b of channel c at c·ld1 + b)
	ld, ld1, hw, n int                       // n: floats of a row that hold results
	round          bool                      // bfloat16: round the scaled values
	before         func(p0, rows, j0, n int) // block, as gemm.Workspace.Before (made once)
}

// planSE fuses each mul step that scales by squeeze-excitation's factors into the 1×1
// convolution right after it that reads its output, where that gives the same numbers.
func (e *Engine) planSE() {
	if e.unfused {
		return
	}
	for i := 0; i+1 < len(e.steps); i++ {
		mu, nx := &e.steps[i], &e.steps[i+1]
		l, x := &nx.l, mu.l.In
		if mu.kind != mul || !mu.l.Broadcast || mu.l.In == mu.l.In2 || nx.kind != convShift || nx.grp != nil ||
			l.K != 1 || l.Pad != 0 || l.In != mu.l.Out || l.InShape != mu.l.OutShape || nx.wino ||
			l.Out == x || l.Residual == x || l.Residual == mu.l.Out || e.readLater(i+1, x) || e.readLater(i+2, mu.l.Out) {
			continue
		}
		mu.seFused = true
		nx.se = &seScale{mul: mu}
		nx.se.before = nx.se.block
		nx.src.Data = e.bufs[x]
		if n := 2 * e.bmax * nx.inHW; nx.paired && len(e.seRows) < n {
			e.seRows = make([]float32, n)
		}
		if n := l.InShape[0] * e.ld(1); len(e.seS) < n {
			e.seS = make([]float32, n)
		}
	}
}

// readLater reports whether a step from j on reads buffer buf before one overwrites it, or
// none does and buf holds the network's output.
func (e *Engine) readLater(j, buf int) bool {
	for ; j < len(e.steps); j++ {
		if e.steps[j].reads(buf) {
			return true
		}
		if e.steps[j].l.Out == buf {
			return false
		}
	}
	return buf == e.p.Plan.Output
}

// inputOf returns the rows step st reads as its input: x for a projection with a fused scale.
func (e *Engine) inputOf(st *step) []float32 {
	if st.se != nil {
		return e.bufs[st.se.mul.l.In][e.guard:]
	}
	return e.bufs[st.l.In][e.guard:]
}

// scaleBefore sets the workspace's Before to scale (and in bfloat16 round) the input x of
// projection st on nb images block by block as the product reads it, until clearAct.
func (e *Engine) scaleBefore(st *step, x []float32, ld, nb int) {
	if st.se == nil || st.paired {
		return
	}
	se := st.se
	// The factors are copied first: the product's output may be their buffer.
	se.ld1 = e.ld(1)
	se.s = e.seS[:st.l.InShape[0]*se.ld1]
	copy(se.s, e.bufs[se.mul.l.In2][e.guard:])
	se.x, se.ld, se.hw, se.n, se.round = x, ld, st.inHW, nb*st.inHW, e.bf16
	e.ws.Before = se.before
}

// block scales rows p0..p0+rows-1 (channels), columns j0..j0+nc-1 of x in place, up to n.
func (se *seScale) block(p0, rows, j0, nc int) {
	end := min(j0+nc, se.n)
	for c := p0; c < p0+rows; c++ {
		row := se.x[c*se.ld:]
		se.scale(row, row, c, j0, end)
	}
}

// scale sets dst[j] = src[j]·f for j0 ≤ j < end, f channel c's factor for the image of column
// j (rounded to bfloat16 where se.round).
func (se *seScale) scale(dst, src []float32, c, j0, end int) {
	for j := j0; j < end; {
		img := j / se.hw
		next := min(end, (img+1)*se.hw)
		seg := dst[j:next]
		scaleRow(seg, src[j:next], se.s[c*se.ld1+img])
		if se.round {
			gemm.RoundBF16s(seg)
		}
		j = next
	}
}

// fillPairsScaled is fillPairs for a projection with a fused scale: each channel of x scaled
// and rounded into e.seRows, then packed.
func (e *Engine) fillPairsScaled(st *step, x []float32, ld, nb int) {
	se := st.se
	cin, cnt := st.l.InShape[0], nb*st.inHW
	se.s, se.ld1, se.hw, se.round = e.bufs[se.mul.l.In2][e.guard:], e.ld(1), st.inHW, true
	lo, hi := e.seRows[:cnt], e.seRows[cnt:2*cnt]
	dst := st.psrc.Data[e.guard:]
	for qi := range (cin + 1) / 2 {
		se.scale(lo, x[2*qi*ld:], 2*qi, 0, cnt)
		var h []float32
		if 2*qi+1 < cin {
			se.scale(hi, x[(2*qi+1)*ld:], 2*qi+1, 0, cnt)
			h = hi
		}
		gemm.PackPairs(dst[qi*ld:][:cnt], lo, h)
	}
}
