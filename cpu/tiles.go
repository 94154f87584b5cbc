package cpu

import (
	"unsafe"

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
// pairs, ld words apart, position 0 at word org of each row (for phase planes, the rows of
// phase ph after those of phases < ph).
type tileGrid struct {
	data    []uint32
	ld, org int
	split   []float32 // phase grids: one image's pair of channels as phase planes (fillPhaseTiles)
	// floatPhases: phase grids, the phases the filling step also stores as float32 in e.tmp
	floatPhases uint8
}

// tiledFits reports whether step st can read its input from a grid on this machine: a 3×3
// stride-1 convolution with padding 1 (its input's grid), or a 3×3 stride-2 with padding 1 or
// 1×1 stride-2 convolution of an input twice the output's size (its input's phase planes,
// each in a grid of the output's geometry; phaseTiles), with no activation but ReLU (its
// output is rounded or paired in the tile kernels' store, before an activation could be
// applied: the tile kernels call no Workspace.After).
func tiledFits(st *step) bool {
	l := &st.l
	if st.kind != convShift && st.kind != convPhase || st.grp != nil || !gemm.BF16Tiled() || l.HasAct {
		return false
	}
	if l.InShape[0]%32 != 0 || st.m%32 != 0 || l.Cout() != st.m {
		return false
	}
	w := l.Window()
	if st.kind == convPhase {
		s2 := w.SH == 2 && w.SW == 2 && w.DH == 1 && w.DW == 1 && l.InShape[1] == 2*l.OutShape[1] && l.InShape[2] == 2*l.OutShape[2]
		k3 := w == model.Window{KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}
		return s2 && k3
	}
	return w == model.Window{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}
}

// grid returns step st's output geometry for nb images (a stride-1 step's input's too).
func (st *step) grid(nb int) gemm.Grid {
	return gemm.Grid{Images: nb, H: st.l.OutShape[1], W: st.l.OutShape[2]}
}

// tileSteps marks the steps that read a grid (tiled, not paired) and builds their sources on
// the grid buffers, one per activation buffer and image size, for its most channels; the
// phase planes of a stride-2 step have their own grids (four rows of pairs per pair of
// channels, by (buffer, output size)).
func (e *Engine) tileSteps() {
	type key struct {
		buf, h, w int
		phases    bool
	}
	keyOf := func(st *step) key {
		return key{st.l.In, st.l.OutShape[1], st.l.OutShape[2], st.kind == convPhase}
	}
	rows := map[key]int{}
	for i := range e.steps {
		if st := &e.steps[i]; tiledFits(st) {
			st.tiled, st.paired = true, false
			q := st.l.InShape[0] / 2
			if st.kind == convPhase {
				q *= 4
			}
			rows[keyOf(st)] = max(rows[keyOf(st)], q)
		}
	}
	grids := map[key]*tileGrid{}
	e.grids = map[[3]int]*tileGrid{}
	for k, q := range rows {
		grids[k] = newTileGrid(gemm.Grid{Images: e.bmax, H: k.h, W: k.w}, q)
		if !k.phases {
			e.grids[[3]int{k.buf, k.h, k.w}] = grids[k]
		}
	}
	for i := range e.steps {
		if st := &e.steps[i]; st.tiled {
			st.tileSource(grids[keyOf(st)])
		}
	}
	e.unsharePhasePlanes()
}

// newTileGrid returns a zero grid buffer of q rows for geometry g (g.Images the most images).
func newTileGrid(g gemm.Grid, q int) *tileGrid {
	org := g.W + 2 // room for the shift (−1, −1) of position 0
	// Panels of 32 positions, the shift (+1, +1) of the last, and rows not a multiple of
	// 4 KiB apart (a tile's 16 rows would share cache sets).
	ld := roundUp(org+g.Cols()+g.W+2+32, 16)
	if ld%1024 == 0 {
		ld += 16
	}
	return &tileGrid{data: make([]uint32, q*ld), ld: ld, org: org}
}

// tileSource points tiled step st at the grid tg: one offset per (tap, group of 32 channels),
// the tap's shift (dy, dx) in the grid, and for a stride-2 step the rows of the tap's phase
// plane ph = 2·ry + rx (input row 2y + ky − pad = 2(y + dy) + ry).
func (st *step) tileSource(tg *tileGrid) {
	l := &st.l
	st.tgrid = tg
	rw, groups, q := l.OutShape[2]+1, l.InShape[0]/32, l.InShape[0]/2
	win := l.Window()
	st.kp = win.KH * win.KW * l.InShape[0]
	st.tsrc = gemm.Tiled{Data: tg.data, Ld: tg.ld}
	for ky := range win.KH {
		for kx := range win.KW {
			ry, dy := ky-win.PadT, 0
			rx, dx := kx-win.PadL, 0
			if st.kind == convPhase {
				ry, dy = splitPhase(ry)
				rx, dx = splitPhase(rx)
			} else {
				ry, dy, rx, dx = 0, ry, 0, rx
			}
			base := (2*ry+rx)*q*tg.ld + tg.org + dy*rw + dx
			for g := range groups {
				st.tsrc.Off = append(st.tsrc.Off, int32(base+16*g*tg.ld))
			}
		}
	}
}

// unsharePhasePlanes lets a tiled step that fills phase planes (sharePhasePlanes) also store
// in e.tmp, as float32, those a float32 step sharing them reads. A tiled stride-2 step fills its grid's
// phases, unless the step that fills its planes is tiled on the same grid (then that one
// fills them all, and this one reads them as pairsIn).
func (e *Engine) unsharePhasePlanes() {
	var filler *step
	for i := range e.steps {
		st := &e.steps[i]
		switch {
		case st.kind != convPhase:
		case st.fillTmp:
			filler = st
		case filler == nil:
		case !st.tiled && filler.tiled:
			filler.tgrid.floatPhases |= st.phases
		case st.tiled && filler.tiled && filler.tgrid == st.tgrid:
			st.pairsIn = true
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
	groups, kk := st.l.InShape[0]/32, st.kp/st.l.InShape[0]
	for r := range st.m {
		src, d := w[r*st.k:][:st.k], dst[r*st.kp:][:st.kp]
		for tap := range kk {
			for g := range groups {
				for j := range 32 {
					d[(tap*groups+g)*32+j] = src[(32*g+j)*kk+tap]
				}
			}
		}
	}
}

// fillTiles packs the first nb images of the activation in (rows ld apart) into the step's
// grid, image row by image row.
func (e *Engine) fillTiles(st *step, in []float32, ld, nb int) {
	if st.kind == convPhase {
		e.fillPhaseTiles(st, in, ld, nb)
		return
	}
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

// fillPhaseTiles packs the phase planes a stride-2 tiled step reads (st.phases) of the first
// nb images of in (rows ld apart) into its grid: pair q of phase ph = 2·ry + rx in grid row
// ph·C/2 + q, its pixel (b, y, x) from the input's pixel (b, 2y + ry, 2x + rx). Each image's
// two channels are split into phase planes in tg.split, or in e.tmp for the phases a float32
// step reads there (tg.floatPhases), each phase's two planes packed as pairs (whole planes,
// in vectors) and copied row by row into the grid.
func (e *Engine) fillPhaseTiles(st *step, in []float32, ld, nb int) {
	tg, g := st.tgrid, st.grid(nb)
	cin, hw, ldT := st.l.InShape[0], g.H*g.W, e.ld(st.outHW)
	if len(tg.split) < 9*hw {
		tg.split = make([]float32, 9*hw)
	}
	words := unsafe.Slice((*uint32)(unsafe.Pointer(&tg.split[8*hw])), hw)
	tmp := e.tmp[e.guard:]
	for qi := range cin / 2 {
		for b := range nb {
			var d [2][4][]float32
			for c := range 2 {
				ci := 2*qi + c
				for ph := range 4 {
					d[c][ph] = tg.split[(4*c+ph)*hw:][:hw]
					if tg.floatPhases&(1<<ph) != 0 {
						d[c][ph] = tmp[(ph*cin+ci)*ldT+b*hw:][:hw]
					}
				}
				splitPhases(in[ci*ld+4*b*hw:][:4*hw], 2*g.W, g.H, d[c])
			}
			for ph := range 4 {
				if st.phases&(1<<ph) == 0 {
					continue
				}
				gemm.PackPairs(words, d[0][ph], d[1][ph])
				dst := tg.data[(ph*cin/2+qi)*tg.ld+tg.org:]
				for y := range g.H {
					copy(dst[g.Pos(b, y, 0):][:g.W], words[y*g.W:][:g.W])
				}
			}
		}
	}
}

// splitPhases writes the four phase planes of the 2·rows × w plane src (w even) into d:
// d[2·ry + rx][y·w/2 + x] = src[(2y + ry)·w + 2x + rx].
func splitPhases(src []float32, w, rows int, d [4][]float32) {
	if phasesAsm(src, w, rows, d) {
		return
	}
	for ph := range 4 {
		ry, rx := ph>>1, ph&1
		for y := range rows {
			s, o := src[(2*y+ry)*w+rx:], d[ph][y*w/2:][:w/2]
			for x := range o {
				o[x] = s[2*x]
			}
		}
	}
}
