package cpu

import "landscape/cpu/gemm"

// # Channel pairs (bfloat16 on tiles)
//
// Where the bfloat16 products run on tiles (gemm.BF16Paired), a stride-1 convolution
// (convShift) reads its input as bfloat16 channel pairs: one pass packs channels 2q and 2q+1
// of the (rounded) float32 activation into the words of pair row q (gemm.PackPairs), and the
// product copies each pair of B rows from there (gemm.FusedBF16Paired) instead of merging
// two float32 rows for each of the K·K shifted copies. The inner dimension is then ordered
// (pair, tap, channel of the pair), k = 2·⌈C/2⌉·K², and the folded weights are permuted to
// match (pairWeights), with zeros for the missing channel of an odd C. The numbers are those of
// the float32 rows: only the order of the sums changes.

// pairSteps marks the convShift steps that read channel pairs and builds their sources and
// the pair buffers (one per activation buffer such a step reads, the size of its largest use).
func (e *Engine) pairSteps() {
	if !gemm.BF16Paired() {
		return
	}
	e.pairBufs = make([][]uint32, len(e.bufs))
	e.tileSteps()
	for i := range e.steps {
		st := &e.steps[i]
		if st.kind != convShift || st.tiled || st.grp != nil {
			continue
		}
		l := &st.l
		kk, q, ld := l.K*l.K, (l.InShape[0]+1)/2, e.ld(st.inHW)
		st.paired, st.kp = true, 2*q*kk
		if need := q*ld + 2*e.guard; len(e.pairBufs[l.In]) < need {
			e.pairBufs[l.In] = make([]uint32, need)
		}
		ps := gemm.Paired{Off: make([]int32, q*kk), Mask: make([]int32, q*kk), Masks: st.src.Masks}
		for qi := range q {
			for tap := range kk {
				// Row (2qi, tap) of the float32 source reads guard + 2qi·ld + shift; pair row qi
				// lies at guard + qi·ld.
				p := 2*qi*kk + tap
				ps.Off[qi*kk+tap] = st.src.Off[p] - int32(qi*ld)
				ps.Mask[qi*kk+tap] = st.src.Mask[p]
			}
		}
		st.psrc = ps
	}
	e.linkPairs()
	for i := range e.steps {
		if st := &e.steps[i]; st.paired {
			st.psrc.Data = e.pairBufs[st.l.In]
		}
	}
}

// pairWeights writes the m×k folded weights w of a paired step (columns (channel, tap)) as
// the m×kp matrix dst with columns (pair, tap, channel of the pair), zero for a channel ≥ C.
func pairWeights(st *step, dst, w []float32) {
	kk, cin := st.l.K*st.l.K, st.l.InShape[0]
	for r := range st.m {
		src, d := w[r*st.k:][:st.k], dst[r*st.kp:][:st.kp]
		for qi := range st.kp / (2 * kk) {
			for tap := range kk {
				for h := range 2 {
					v := float32(0)
					if c := 2*qi + h; c < cin {
						v = src[c*kk+tap]
					}
					d[(qi*kk+tap)*2+h] = v
				}
			}
		}
	}
}

// fillPairs packs the first nb images of the activation in (rows ld apart) into the step's
// channel pairs.
func (e *Engine) fillPairs(st *step, in []float32, ld, nb int) {
	cin, cnt := st.l.InShape[0], nb*st.inHW
	dst := st.psrc.Data[e.guard:]
	for qi := range (cin + 1) / 2 {
		var hi []float32
		if 2*qi+1 < cin {
			hi = in[(2*qi+1)*ld:][:cnt]
		}
		gemm.PackPairs(dst[qi*ld:][:cnt], in[2*qi*ld:][:cnt], hi)
	}
}

// productBF16 computes the gemm product of a step in bfloat16: from channel pairs (packed here
// unless the producer stored them) or float32 rows, storing the output's pairs too where the
// next product reads them.
func (e *Engine) productBF16(st *step, bw *gemm.BF16Weights, n int, in, out, bias, res []float32, ldIn, ldOut, nb int) {
	l := &st.l
	if st.tiled {
		e.productTiled(st, bw, in, out, bias, res, ldIn, ldOut, nb)
		return
	}
	src, psrc := &st.src, (*gemm.Paired)(nil)
	round := st.roundOut && !l.HasAct // else rounded after the activation (actStore)
	if st.paired {
		switch {
		case st.se != nil:
			e.fillPairsScaled(st, in, ldIn, nb)
		case !st.pairsIn:
			e.fillPairs(st, in, ldIn, nb)
		}
		src, psrc = nil, &st.psrc
	}
	switch {
	case st.pairsOut:
		if st.pairsOnly {
			out = nil
		}
		if tg := st.outGrid; tg != nil {
			g := gemm.Grid{Images: nb, H: l.OutShape[1], W: l.OutShape[2]}
			e.ws.FusedBF16ToPairs(bw, n, src, psrc, out, ldOut, bias, res, ldOut, l.ReLU, tg.data[tg.org:], tg.ld, &g)
			break
		}
		e.ws.FusedBF16ToPairs(bw, n, src, psrc, out, ldOut, bias, res, ldOut, l.ReLU, e.pairBufs[l.Out][e.guard:], ldOut, nil)
	case st.paired:
		e.ws.FusedBF16Paired(bw, n, psrc, out, ldOut, bias, res, ldOut, l.ReLU, round)
	default:
		e.ws.FusedBF16W(bw, n, src, out, ldOut, bias, res, ldOut, l.ReLU, round)
	}
}

// linkPairs lets a rounding producer (roundOut) of a paired or tiled step's input store the
// pairs itself, as the consumer reads them: plain pairs (sizing their buffer for all its rows)
// or into the consumer's grid (outGrid; a tiled producer stores only into a grid); a producer
// whose float32 output nothing reads stores only the pairs (pairsOnly).
func (e *Engine) linkPairs() {
	writer := map[int]*step{}
	for i := range e.steps {
		st := &e.steps[i]
		w := writer[st.l.In]
		switch {
		case w == nil || !w.roundOut || w.l.HasAct: // pairs stored before the activation would miss it
		case st.tiled && st.kind == convShift && (!w.pairsOut || w.outGrid == st.tgrid):
			w.pairsOut, w.outGrid, st.pairsIn = true, st.tgrid, true
		case st.paired && !w.tiled && w.outGrid == nil && !w.pooled: // a pool with its convolution stores pairs only into a grid (poolPairs)
			w.pairsOut, st.pairsIn = true, true
			buf := &e.pairBufs[st.l.In]
			if need := w.m/2*e.ld(w.outHW) + 2*e.guard; len(*buf) < need {
				*buf = append(*buf, make([]uint32, need-len(*buf))...)
			}
		}
		writer[st.l.Out] = st
	}
	e.residualPairs()
	for i := range e.steps {
		st := &e.steps[i]
		st.pairsOnly = st.pairsOut && !e.floatRead(i)
	}
}

// floatRead reports whether a step after i reads step i's float32 output before it is
// overwritten (a paired or tiled step reading pairs its producer stored does not, nor a tiled
// step reading its residual as pairs), or it is the network's output (the buffer's last
// contents).
func (e *Engine) floatRead(i int) bool {
	out := e.steps[i].l.Out
	for j := i + 1; j < len(e.steps); j++ {
		nx := &e.steps[j]
		l := &nx.l
		pairsIn := (nx.paired || nx.tiled) && nx.pairsIn && l.In == out
		pairsRes := nx.resGrid != nil && l.Residual == out
		floatIn := l.In == out && !pairsIn
		floatRes := l.Residual == out && !pairsRes
		other := nx.reads(out) && l.In != out && l.Residual != out
		if floatIn || floatRes || other {
			return true
		}
		if l.Out == out {
			return false
		}
	}
	return out == e.p.Plan.Output // the network's output, unless overwritten
}
