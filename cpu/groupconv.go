package cpu

import (
	"landscape/cpu/gemm"
	"landscape/model"
)

// Grouped convolutions that are not depthwise (1 < groups < Cin: resnext's and regnet's 3×3
// convolutions) run on the fused GEMM like ungrouped ones: the step keeps the geometry an
// ungrouped convolution of its shape would have (convShift, convPhase or convCol, with the
// same gathered source st.src over all Cin channels, rows (ci, kh, kw)), and its grp plan
// splits the product by groups. Product j covers groups g0..g0+t−1 (t = groupPlan.s, fewer in
// the last): output rows g0·og.. (og = Cout/G), the source's rows g0·cg·KK.. (cg = Cin/G, KK
// taps), and the block-diagonal weights
//
//	A_j[r][q] = w[g0·og + r][q − (r/og)·cg·KK]  where (r/og)·cg·KK ≤ q < (r/og + 1)·cg·KK,
//	            0                                otherwise (and in rows t·og.. padded to FusedMR),
//
// so that out = A_j · B_j + bias (+ residual, ReLU) gives each output channel the sum over its
// own group's channels and taps: GroupConv's sums, in the gemm's order. s is the fewest groups
// whose rows fill a multiple of FusedMR (1 where og is a multiple of 8, 2 for resnext's og = 4),
// so only those products multiply zeros.

// groupPlan is a grouped step's split into products.
type groupPlan struct {
	og, cg, kk int // output and input channels per group, taps
	s          int // groups per product
	prods      []groupProd
}

// groupProd is one product of a grouped step.
type groupProd struct {
	row0, m int // first output row; rows (t·og padded to FusedMR)
	p0, k   int // first source row and inner dimension (t·cg·KK)
	t       int // groups
}

// groupWeights holds a grouped step's block-diagonal weights at one weight set: product j's
// m×k matrix at a[off[j]:], and in bfloat16 packed in bw[j].
type groupWeights struct {
	a   []float32
	off []int
	bw  []gemm.BF16Weights
}

// gemmGrouped reports whether layer l, a convolution, is grouped but not depthwise: the layers
// a groupPlan computes.
func gemmGrouped(l *model.Layer) bool {
	return l.Kind == model.OpConv && l.Groups > 1 && l.Groups < l.InShape[0]
}

// newGroupPlan splits grouped layer l into products of s groups each.
func newGroupPlan(l *model.Layer) *groupPlan {
	win := l.Window()
	g := l.Groups
	p := &groupPlan{og: l.Cout() / g, cg: l.InShape[0] / g, kk: win.KH * win.KW}
	p.s = gemm.FusedMR / gcd(p.og, gemm.FusedMR)
	for g0 := 0; g0 < g; g0 += p.s {
		t := min(p.s, g-g0)
		p.prods = append(p.prods, groupProd{row0: g0 * p.og, m: roundUp(t*p.og, gemm.FusedMR),
			p0: g0 * p.cg * p.kk, k: t * p.cg * p.kk, t: t})
	}
	return p
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// weights writes the block-diagonal matrices of the folded weights w ([Cout][cg·KK]) into gw
// (reusing its memory), packing them for bfloat16 where bf16 is set (w already rounded).
func (p *groupPlan) weights(gw *groupWeights, w []float32, bf16 bool) {
	if gw.off == nil {
		n := 0
		for _, pr := range p.prods {
			gw.off = append(gw.off, n)
			n += pr.m * pr.k
		}
		gw.a = make([]float32, n)
		gw.bw = make([]gemm.BF16Weights, len(p.prods))
	}
	gk := p.cg * p.kk // a group's inner dimension
	for j, pr := range p.prods {
		a := gw.a[gw.off[j]:][:pr.m*pr.k]
		clear(a)
		for r := range pr.t * p.og {
			gi := r / p.og
			copy(a[r*pr.k+gi*gk:][:gk], w[(pr.row0+r)*gk:][:gk])
		}
		if bf16 {
			gw.bw[j].Pack(pr.m, pr.k, a, pr.k)
		}
	}
}

// groupProducts computes grouped step st (its source filled, its input rounded in bfloat16)
// as its products, with its bias, residual and ReLU in their epilogue and its activation as
// they store (actStore, on each product's rows: the products' rows do not overlap) or after:
// out = act(ReLU?(conv + b + res)).
func (e *Engine) groupProducts(st *step, gw *groupWeights, b, out, res []float32, ldOut, nb int) {
	l := &st.l
	n := roundUp(nb*st.outHW, gemm.FusedNR)
	stored := false
	for j, pr := range st.grp.prods {
		src := gemm.Gathered{Data: st.src.Data, Off: st.src.Off[pr.p0:][:pr.k], Mask: st.src.Mask[pr.p0:][:pr.k], Masks: st.src.Masks}
		var r []float32
		if res != nil {
			r = res[pr.row0*ldOut:]
		}
		o, bias := out[pr.row0*ldOut:], b[pr.row0:]
		stored = e.storeAct(st, o, ldOut, nb*st.outHW) // rows from Cout − row0 on are padding
		if e.bf16 {
			e.ws.FusedBF16W(&gw.bw[j], n, &src, o, ldOut, bias, r, ldOut, l.ReLU, false)
		} else {
			e.ws.Fused(pr.m, n, pr.k, gw.a[gw.off[j]:], pr.k, &src, o, ldOut, bias, r, ldOut, l.ReLU)
		}
		e.clearAct()
	}
	if !stored {
		activateRows(l, out, ldOut, nb*st.outHW)
	}
}

// srcK is the number of rows of a convolution step's gathered source: Cin·KH·KW (st.k of an
// ungrouped convolution; a grouped one's products each read a part).
func (st *step) srcK() int {
	if st.kind == linear {
		return st.k
	}
	win := st.l.Window()
	return st.l.InShape[0] * win.KH * win.KW
}
