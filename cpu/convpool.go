package cpu

import (
	"landscape/cpu/gemm"
	"landscape/model"
)

// # A convolution and the max pool after it, band by band
//
// ResNet's stem writes 64 channels of 112×112 pixels per image (3.2 MB, beyond L2), which the
// 3×3 stride-2 max pool then reads back. Where a convolution's output goes only to such a pool
// (planConvPool), the engine computes both together for one band of output rows at a time:
// the product's columns for the convolution rows the band of pool rows reads (a column range
// of the implicit GEMM, the same sums as the whole product), stored in e.band, which stays in
// L2, and the pool rows from there (maxPoolRows). Bands overlap by the pool window's KH − SH
// rows, which are computed twice.

// bandBytes is about the size of e.band: most of the L2 cache, beside the product's operands.
const bandBytes = 1 << 20

// planConvPool marks the products whose output only the max pool right after them reads
// (poolNext; the pool step becomes pooled) where the band's columns can be cut at whole groups
// of 16, and makes e.band for the largest band.
func (e *Engine) planConvPool() {
	size := 0
	for i := 0; i+1 < len(e.steps); i++ {
		st, pl := &e.steps[i], &e.steps[i+1]
		if !e.convPoolFits(i) {
			continue
		}
		win := pl.l.Window()
		ow := st.l.OutShape[2]
		rows := max(1, (bandBytes/(4*st.m*ow)-win.KH)/win.SH+1) // pool rows per band
		st.poolNext, pl.pooled, st.bandRows = true, true, rows
		size = max(size, st.m*st.bandLd(win))
	}
	e.band = make([]float32, size)
}

// convPoolFits reports whether step i, a convolution through phase planes or im2col rows with
// nothing after its product, and the max pool that follows it can run band by band.
func (e *Engine) convPoolFits(i int) bool {
	st, pl := &e.steps[i], &e.steps[i+1]
	l := &st.l
	if st.kind != convPhase && st.kind != convCol || st.grp != nil || l.HasAct || l.Residual >= 0 || st.roundOut || st.paired || st.tiled {
		return false
	}
	if pl.kind != poolWin || pl.l.Kind != model.OpMaxPool || pl.l.In != l.Out || l.OutShape[2]%gemm.FusedNR != 0 {
		return false
	}
	if win := pl.l.Window(); win.DH != 1 || win.DW != 1 {
		return false
	}
	if l.Out == e.p.Plan.Output {
		return false
	}
	for j := i + 2; j < len(e.steps); j++ { // read by none but the pool before it is overwritten
		if e.steps[j].reads(l.Out) {
			return false
		}
		if e.steps[j].l.Out == l.Out {
			break
		}
	}
	return true
}

// bandLd is the row length of e.band for a poolNext step: the convolution rows of bandRows
// pool rows.
func (st *step) bandLd(win model.Window) int {
	return min(st.l.OutShape[1], (st.bandRows-1)*win.SH+win.KH) * st.l.OutShape[2]
}

// forwardConvPool computes poolNext step i and the pool after it, pl, for nb images: out is
// the pool's output (rows ldOut apart).
func (e *Engine) forwardConvPool(i int, ws *prepared, out []float32, ldOut, nb int) {
	st, pl := &e.steps[i], &e.steps[i+1]
	l := &st.l
	h, w := l.OutShape[1], l.OutShape[2]
	win := pl.l.Window()
	poh, pow := pl.l.OutShape[1], pl.l.OutShape[2]
	ldb := st.bandLd(win)
	for b := range nb {
		for p0 := 0; p0 < poh; p0 += st.bandRows {
			p1 := min(poh, p0+st.bandRows)
			y0 := max(0, p0*win.SH-win.PadT)
			y1 := max(y0, min(h, (p1-1)*win.SH-win.PadT+win.KH))
			if y1 > y0 {
				e.bandProduct(i, ws, b*h*w+y0*w, (y1-y0)*w, ldb)
			}
			var lo []float32
			for c := range l.Cout() {
				o := out[c*ldOut+b*poh*pow+p0*pow:][:(p1-p0)*pow]
				if pl.pairsOnly { // the float32 rows only until their pairs are stored
					o = e.band[len(e.band)-(2-c%2)*st.bandRows*pow:][:(p1-p0)*pow]
				}
				maxPoolRows(o, e.band[c*ldb:][:(y1-y0)*w], y0, h, w, win, e.poolRow, p0, p1)
				if pl.roundOut {
					gemm.RoundBF16s(o)
				}
				if pl.pairsOut && c%2 == 1 {
					poolPairs(pl, lo, o, c/2, b, p0, p1)
				}
				lo = o
			}
		}
	}
}

// bandProduct computes columns j0..j0+n-1 (j0 and n multiples of gemm.FusedNR) of step i's
// product into e.band (rows ldb apart).
func (e *Engine) bandProduct(i int, ws *prepared, j0, n, ldb int) {
	st := &e.steps[i]
	src := st.src
	src.Data = src.Data[j0:]
	src.Masks = src.Masks[j0/16:]
	if e.bf16 {
		e.ws.FusedBF16W(&ws.bw[i], n, &src, e.band, ldb, ws.b[i], nil, 0, st.l.ReLU, false)
		return
	}
	e.ws.Fused(st.m, n, st.k, ws.w[i], st.k, &src, e.band, ldb, ws.b[i], nil, 0, st.l.ReLU)
}

// roundPooled lets, in bfloat16, each pooled max pool whose output a product reads next
// round its output as it stores it, band by band while in cache (roundOut, so that the
// product's input is inRounded), instead of a pass over the whole output before the product:
// the maximum of the rounded numbers is the rounded maximum. A tiled reader then gets the
// pairs from the pool too (linkPairs, poolPairs).
func (e *Engine) roundPooled() {
	for i := range e.steps {
		pl := &e.steps[i]
		if !pl.pooled {
			continue
		}
		for j := i + 1; j < len(e.steps); j++ {
			nx := &e.steps[j]
			if nx.reads(pl.l.Out) {
				if nx.product() && nx.l.In == pl.l.Out {
					pl.roundOut, nx.inRounded = true, true
					// Room after the band for two channels' pool rows (a pairsOnly pool).
					e.band = append(e.band, make([]float32, 2*e.steps[i-1].bandRows*pl.l.OutShape[2])...)
				}
				break
			}
			if nx.l.Out == pl.l.Out {
				break
			}
		}
	}
}

// poolPairs stores pool rows p0..p1-1 of image b of channels 2q and 2q+1 of the pooled step
// pl's output (lo and hi: those rows, rounded) as pair row q of its grid pl.outGrid.
func poolPairs(pl *step, lo, hi []float32, q, b, p0, p1 int) {
	tg, g := pl.outGrid, pl.grid(b+1)
	dst := tg.data[q*tg.ld+tg.org:]
	for y := p0; y < p1; y++ {
		r := (y - p0) * g.W
		gemm.PackPairs(dst[g.Pos(b, y, 0):][:g.W], lo[r:][:g.W], hi[r:][:g.W])
	}
}
