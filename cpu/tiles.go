package cpu

import (
	"landscape/cpu/gemm"
	"landscape/model"
)

// # Channel pairs in a zero-padded grid (bfloat16 on AMX)
//
// Where the bfloat16 products run on AMX tiles (gemm.BF16Tiled), a 3×3 stride-1 convolution
// with padding 1 of a multiple of 32 channels in and out reads its input as channel pairs
// stored in a gemm.Grid: the images' pixels one zero column and one zero row apart, so that
// each tile of B is 16 consecutive channel pairs of 16 consecutive positions at the tap's
// shift, loaded by the AMX kernel from where it lies (gemm.FusedBF16Tiled), with no packing
// and no masks. The inner dimension is then ordered (tap, group of 16 pairs, pair, channel of
// the pair) and the folded weights are permuted to match once per weight set (tileWeights).
// The producer of the input stores the pairs at their positions as it rounds its output
// (pairsOut), or one pass packs them (fillTiles). Each (activation buffer, image size) has
// its own grid buffer, allocated zero: only pixels are ever written, so the padding stays
// zero. The numbers are those of the float32 rows up to the order of the sums.

// tileGrid is the grid buffer of one activation buffer at one image size: Q rows of channel
// pairs, ld words apart, position 0 at word org of each row.
type tileGrid struct {
	data    []uint32
	ld, org int
}

// tiledFits reports whether step st can read its input from a grid on this machine: a 3×3
// stride-1 convolution of channels in multiples of 32 with no activation but ReLU (its output
// is rounded or paired in the tile kernels' store, before an activation could be applied).
func tiledFits(st *step) bool {
	l := &st.l
	if st.kind != convShift || st.grp != nil || dilation(l) > 1 || !gemm.BF16Tiled() || l.HasAct { // the tile kernels call no Workspace.After
		return false
	}
	w := l.Window()
	return w == model.Window{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1} &&
		l.InShape[0]%32 == 0 && st.m%32 == 0 && l.Cout() == st.m
}

// grid returns step st's input geometry for nb images.
func (st *step) grid(nb int) gemm.Grid {
	return gemm.Grid{Images: nb, H: st.l.InShape[1], W: st.l.InShape[2]}
}

// tileSteps marks the steps that read a grid (tiled, not paired) and builds their sources on
// the grid buffers, one per activation buffer and image size, for its most channels.
func (e *Engine) tileSteps() {
	type key struct{ buf, h, w int }
	rows := map[key]int{}
	for i := range e.steps {
		if st := &e.steps[i]; tiledFits(st) {
			st.tiled, st.paired = true, false
			k := key{st.l.In, st.l.InShape[1], st.l.InShape[2]}
			rows[k] = max(rows[k], st.l.InShape[0]/2)
		}
	}
	grids := map[key]*tileGrid{}
	e.grids = map[[3]int]*tileGrid{}
	for k, q := range rows {
		g := gemm.Grid{Images: e.bmax, H: k.h, W: k.w}
		org := k.w + 2 // room for the shift (−1, −1) of position 0
		// Panels of 32 positions, the shift (+1, +1) of the last, and rows not a multiple of
		// 4 KiB apart (a tile's 16 rows would share cache sets).
		ld := roundUp(org+g.Cols()+k.w+2+32, 16)
		if ld%1024 == 0 {
			ld += 16
		}
		grids[k] = &tileGrid{data: make([]uint32, q*ld), ld: ld, org: org}
		e.grids[[3]int{k.buf, k.h, k.w}] = grids[k]
	}
	for i := range e.steps {
		st := &e.steps[i]
		if !st.tiled {
			continue
		}
		tg := grids[key{st.l.In, st.l.InShape[1], st.l.InShape[2]}]
		st.tgrid = tg
		rw, groups := st.l.InShape[2]+1, st.l.InShape[0]/32
		st.kp = 9 * st.l.InShape[0]
		st.tsrc = gemm.Tiled{Data: tg.data, Ld: tg.ld}
		for tap := range 9 {
			for g := range groups {
				st.tsrc.Off = append(st.tsrc.Off, int32(tg.org+(tap/3-1)*rw+tap%3-1+16*g*tg.ld))
			}
		}
	}
}

// residualPairs lets a tiled step read its residual as the pairs its last writer stored in a
// grid of the same geometry (resGrid), where that writer stored them: the same bfloat16
// values as the float32 buffer, in half the bytes, and at the output's positions.
func (e *Engine) residualPairs() {
	writer := map[int]*step{}
	for i := range e.steps {
		st := &e.steps[i]
		if r := st.l.Residual; st.tiled && r >= 0 {
			tg := e.grids[[3]int{r, st.l.OutShape[1], st.l.OutShape[2]}]
			if w := writer[r]; w != nil && tg != nil && w.pairsOut && w.outGrid == tg {
				st.resGrid = tg
			}
		}
		writer[st.l.Out] = st
	}
}

// tileWeights writes the m×k folded weights w of a tiled step (columns (channel, tap)) as the
// m×kp matrix dst with columns (tap, group, pair, channel of the pair): column
// ((tap·G + g)·16 + q)·2 + h holds channel 32g + 2q + h.
func tileWeights(st *step, dst, w []float32) {
	groups := st.l.InShape[0] / 32
	for r := range st.m {
		src, d := w[r*st.k:][:st.k], dst[r*st.kp:][:st.kp]
		for tap := range 9 {
			for g := range groups {
				for j := range 32 {
					d[(tap*groups+g)*32+j] = src[(32*g+j)*9+tap]
				}
			}
		}
	}
}

// fillTiles packs the first nb images of the activation in (rows ld apart) into the step's
// grid, image row by image row.
func (e *Engine) fillTiles(st *step, in []float32, ld, nb int) {
	tg := st.tgrid
	g := st.grid(nb)
	cin, hw := st.l.InShape[0], st.inHW
	for q := range cin / 2 {
		lo, hi := in[2*q*ld:], in[(2*q+1)*ld:]
		dst := tg.data[q*tg.ld+tg.org:]
		for b := range nb {
			for y := range g.H {
				p, j := b*hw+y*g.W, g.Pos(b, y, 0)
				gemm.PackPairs(dst[j:][:g.W], lo[p:][:g.W], hi[p:][:g.W])
			}
		}
	}
}

// productTiled computes a tiled step's product, its residual from pairs where resGrid is set,
// storing its output's pairs into the next
// step's grid where it reads them (pairsOut: the same grid geometry) and its float32 output
// unless nothing reads it.
func (e *Engine) productTiled(st *step, bw *gemm.BF16Weights, in, out, bias, res []float32, ldIn, ldOut, nb int) {
	if !st.pairsIn {
		e.fillTiles(st, in, ldIn, nb)
	}
	var resp, pc []uint32
	ldr, ldp := ldOut, 0
	if tg := st.resGrid; tg != nil {
		res, resp, ldr = nil, tg.data[tg.org:], tg.ld
	}
	if st.pairsOut {
		tg := st.outGrid
		pc, ldp = tg.data[tg.org:], tg.ld
		if st.pairsOnly {
			out = nil
		}
	}
	e.ws.FusedBF16Tiled(bw, st.grid(nb), &st.tsrc, out, ldOut, bias, res, resp, ldr, st.l.ReLU, st.roundOut || st.pairsOut, pc, ldp)
}
