package cpu

import "landscape/cpu/gemm"

// # A depthwise step's output rounded, and paired, as it is stored (bfloat16)
//
// In bfloat16, a product rounds its input in place before reading it, and on tiles a 1×1 or
// other stride-1 convolution then packs it into channel pairs (pairs.go): two passes over a
// depthwise step's output before MobileNet's projection reads it. Where a depthwise step's
// output is first read (by any later step) as the input of a product, the depthwise step
// rounds each channel as it finishes it (in cache) and, when that product reads pairs, packs
// each pair of channels as soon as both are done; the product skips both passes (inRounded,
// pairsIn). The same rounding of the same values, so the same numbers (roundFlags' argument).

// planDWRound marks the depthwise steps that round (and pair) their output for the product
// reading it.
func (e *Engine) planDWRound() {
	if !e.bf16 || e.unfused {
		return
	}
	for i := range e.steps {
		st := &e.steps[i]
		if st.dw == nil {
			continue
		}
		for j := i + 1; j < len(e.steps); j++ {
			nx := &e.steps[j]
			if nx.reads(st.l.Out) {
				if nx.product() && nx.l.In == st.l.Out && nx.l.Residual != st.l.Out && nx.se == nil {
					st.roundOut, nx.inRounded = true, true
					st.pairsOut, nx.pairsIn = nx.paired, nx.paired
				}
				break
			}
			if nx.l.Out == st.l.Out {
				break // overwritten unread
			}
		}
	}
}

// dwStore finishes channel c of depthwise step st's output (nb images, rows ldOut apart): its
// rounding, and with channel c the second of a pair (or the last), the pair's words.
func (e *Engine) dwStore(st *step, out []float32, ldOut, c, nb int) {
	if !st.roundOut {
		return
	}
	n := nb * st.outHW
	gemm.RoundBF16s(out[c*ldOut:][:n])
	cout := st.l.Cout()
	if !st.pairsOut || c%2 == 0 && c+1 < cout {
		return
	}
	q := c / 2
	var hi []float32
	if 2*q+1 < cout {
		hi = out[(2*q+1)*ldOut:][:n]
	}
	gemm.PackPairs(e.pairBufs[st.l.Out][e.guard+q*ldOut:][:n], out[2*q*ldOut:][:n], hi)
}
