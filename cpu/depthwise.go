package cpu

import (
	"math"

	"landscape/model"
)

// Depthwise convolutions (groups = input channels = output channels, a square window, stride
// 1 or 2, no dilation: MobileNet's and EfficientNet's 3×3 and 5×5 layers) computed directly by
// a vector kernel (dwKernel: depthwise_amd64.s, or dwKernelGo) instead of GroupConv's rows.
//
// Each channel's B input planes are first copied into zero-padded planes (the padding's zeros
// written once), so that the kernel needs no bounds: with stride 1, one padded plane of
// (H+PadT+PadB) rows of wq = W+PadL+PadR floats per image; with stride 2, its four phase
// planes (rows and columns of even or odd padded index, wq = ⌈(W+PadL+PadR)/2⌉ floats a row;
// each phase holds the B images one after the other). Output pixel (oy, ox) of image b is then
// element q = b·plane + oy·wq + ox of an output grid of wq columns, and tap (kh, kw) reads the
// padded input at q + off[kh·K+kw], the same offset for every q:
//
//	grid[q] = clamp(bias + Σ_t w[t]·in[q + off[t]], lo, hi)
//
// a one-dimensional convolution over the whole grid, computed 16 outputs at a time. The grid's
// columns ox ≥ OW (and its rows between images) are wasted work, never read; the valid ones are
// copied (or activated) into the output rows.
type dwConv struct {
	k, stride  int
	padT, padL int
	h, w       int
	oh, ow, wq int
	plane      int     // floats of one image's padded plane (stride 1) or phase plane (stride 2)
	phases     int     // padded planes per image: 1, or 4 with stride 2
	off        []int32 // per tap (kh, kw): the offset of its input from the output's index
	maxOff     int
}

// newDWConv returns the direct kernel's geometry for layer l, a grouped convolution, or nil
// where it does not apply (then GroupConv computes the layer).
func newDWConv(l *model.Layer) *dwConv {
	win := l.Window()
	c := l.InShape[0]
	if l.Groups != c || l.Cout() != c || win.KH != win.KW || win.KH > 7 || win.SH != win.SW ||
		(win.SH != 1 && win.SH != 2) || win.DH != 1 || win.DW != 1 {
		return nil
	}
	d := &dwConv{k: win.KH, stride: win.SH, padT: win.PadT, padL: win.PadL, h: l.InShape[1], w: l.InShape[2],
		oh: l.OutShape[1], ow: l.OutShape[2]}
	hp, wp := d.h+win.PadT+win.PadB, d.w+win.PadL+win.PadR
	if d.stride == 1 {
		d.wq, d.phases, d.plane = wp, 1, hp*wp
	} else {
		d.wq, d.phases, d.plane = (wp+1)/2, 4, (hp+1)/2*((wp+1)/2)
	}
	if d.oh != (hp-d.k)/d.stride+1 || d.ow != (wp-d.k)/d.stride+1 || d.oh < 1 || d.ow < 1 {
		return nil // ceil-mode or otherwise unexpected output sizes
	}
	d.off = make([]int32, d.k*d.k)
	for kh := range d.k {
		for kw := range d.k {
			o := kh*d.wq + kw
			if d.stride == 2 {
				o = (kh>>1)*d.wq + (kw >> 1) // within its phase plane (taps adds the phase's base)
			}
			d.off[kh*d.k+kw] = int32(o)
			d.maxOff = max(d.maxOff, o)
		}
	}
	return d
}

// gridLen is the number of outputs computed for b images: up to the last valid one, rounded
// up to the kernel's 16.
func (d *dwConv) gridLen(b int) int { return roundUp((b-1)*d.plane+(d.oh-1)*d.wq+d.ow, 16) }

// inLen is the number of floats of padded input for b images, with the slack the grid's last
// outputs read.
func (d *dwConv) inLen(b int) int {
	return d.phases*b*d.plane + d.gridLen(b) + d.maxOff + 16
}

// taps returns the tap offsets for b images: with stride 2, each tap's phase base added.
func (d *dwConv) taps(b int, dst []int32) []int32 {
	dst = append(dst[:0], d.off...)
	if d.stride == 2 {
		for kh := range d.k {
			for kw := range d.k {
				dst[kh*d.k+kw] += int32((2*(kh&1) + (kw & 1)) * b * d.plane)
			}
		}
	}
	return dst
}

// fill copies the h×w input plane of image b into the padded planes pad (whose padding is
// zero) for nb images.
func (d *dwConv) fill(pad, in []float32, b, nb int) {
	if d.stride == 1 {
		copyRows(pad[b*d.plane+d.padT*d.wq+d.padL:], d.wq, in, d.w, d.h, d.w)
		return
	}
	// Input pixel (y, x) lands at padded (y+padT, x+padL): phase ((y+padT)&1, (x+padL)&1),
	// row (y+padT)>>1, column (x+padL)>>1. The input rows of each row phase ry, every other
	// one, are deinterleaved at once: even columns x to one column phase, odd to the other.
	phase := func(ry, x int) []float32 {
		return pad[(2*ry+(x&1))*nb*d.plane+b*d.plane+(x>>1):]
	}
	for ry := range 2 {
		y0 := (ry - d.padT&1 + 2) & 1 // first input row of row phase ry
		if y0 >= d.h {
			continue
		}
		rows, r0 := (d.h-y0+1)/2, (y0+d.padT)>>1
		ev, od := phase(ry, d.padL)[r0*d.wq:], phase(ry, d.padL+1)[r0*d.wq:]
		deinterleaveRows(ev, od, d.wq, in[y0*d.w:], 2*d.w, rows, d.w)
	}
}

func copyRowsGo(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for r := range rows {
		copy(dst[r*ldd:][:cols], src[r*lds:][:cols])
	}
}

func deinterleaveRowsGo(ev, od []float32, ldd int, src []float32, lds, rows, n int) {
	for r := range rows {
		s, e, o := src[r*lds:][:n], ev[r*ldd:], od[r*ldd:]
		for i, v := range s {
			if i&1 == 0 {
				e[i>>1] = v
			} else {
				o[i>>1] = v
			}
		}
	}
}

// dwScratch is the engine's scratch for depthwise steps, shared by them: the padded planes
// and the output grid, as large as the largest step needs for a whole batch, and the step
// (and number of images) whose padding pad holds.
type dwScratch struct {
	pad, grid []float32
	off       []int32
	last      *dwConv
	lastB     int
}

// alloc makes the scratch large enough for d on up to b images.
func (s *dwScratch) alloc(d *dwConv, b int) {
	if n := d.inLen(b); n > len(s.pad) {
		s.pad = make([]float32, n)
	}
	if n := d.gridLen(b); n > len(s.grid) {
		s.grid = make([]float32, n)
	}
	if n := d.k * d.k; n > cap(s.off) {
		s.off = make([]int32, 0, n)
	}
}

// depthwise computes depthwise step st on nb images (layout as in Engine: channel c of image b
// at c·ld + b·H·W) with weights w [C][K·K], bias b, residual res (or nil), the layer's ReLU
// and activation. pad and grid are scratch of d.inLen(nb) and d.gridLen(nb) floats; when
// fresh, pad is zeroed first (the padding stays zero: every channel writes the same places).
func (e *Engine) depthwise(st *step, w, bias, in, out, res []float32, ldIn, ldOut, nb int) {
	d, l := st.dw, &st.l
	s := &e.dw
	pad, grid := s.pad[:d.inLen(nb)], s.grid[:d.gridLen(nb)]
	if s.last != d || s.lastB != nb {
		clear(pad)
		s.last, s.lastB = d, nb
	}
	s.off = d.taps(nb, s.off)
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	act := l.HasAct
	if res == nil {
		if l.ReLU {
			lo = 0
		}
		if act && l.Act == model.OpClip && !l.ReLU {
			lo, hi, act = l.Lo, l.Hi, false
		}
	}
	actRows := act && res == nil && hasActRowsAsm(l.Act) && !e.unfused
	kk := d.k * d.k
	for c := range l.Cout() {
		for b := range nb {
			d.fill(pad, in[c*ldIn+b*st.inHW:], b, nb)
		}
		dwKernel(grid, pad, s.off, w[c*kk:][:kk], bias[c], lo, hi)
		if act && res == nil && !actRows {
			activate(l.Act, l, grid, grid) // also the grid's unused columns: one call
		}
		for b := range nb {
			o, g := out[c*ldOut+b*st.outHW:], grid[b*d.plane:]
			if actRows {
				activateRowsAsm(l.Act, o, d.ow, g, d.wq, d.oh, d.ow) // activated as copied
			} else {
				copyRows(o, d.ow, g, d.wq, d.oh, d.ow)
			}
		}
		if res != nil {
			n := nb * st.outHW
			row := out[c*ldOut:][:n]
			addReLU(row, res[c*ldOut:][:n], l.ReLU)
			if act {
				activate(l.Act, l, row, row)
			}
		}
		if st.meanNext {
			e.meanChannel(st, out, ldOut, c, nb)
		}
		e.dwStore(st, out, ldOut, c, nb)
	}
}

// # The global average pool after a depthwise step
//
// Squeeze-excitation pools the depthwise step's output right after it (EfficientNet). The
// depthwise step computes those means itself, channel by channel as each is finished
// (meanChannel), from the output rows while they are in cache, into e.means; the pool step
// only copies them to its output (which may be the depthwise step's input buffer, so it could
// not be written earlier). The same meanRow of the same rows, so the same numbers, without a
// pass over the whole activation.

// planMeans marks the depthwise steps that compute the global average pool after them, and
// makes e.means.
func (e *Engine) planMeans() {
	if e.unfused {
		return
	}
	for i := 0; i+1 < len(e.steps); i++ {
		dw, pl := &e.steps[i], &e.steps[i+1]
		if dw.dw != nil && pl.kind == avgPool && pl.l.In == dw.l.Out {
			dw.meanNext, pl.meaned = true, true
			e.means = make([]float32, max(len(e.means), dw.l.Cout()*e.ld(1)))
		}
	}
}

// meanChannel writes the global average pool of channel c of depthwise step st's output (nb
// images, rows ldOut apart) into e.means: image b's at c·ld(1) + b.
func (e *Engine) meanChannel(st *step, out []float32, ldOut, c, nb int) {
	for b := range nb {
		e.means[c*e.ld(1)+b] = meanRow(out[c*ldOut+b*st.outHW:][:st.outHW])
	}
}

// dwKernelGo is dwKernel in Go: grid[q] = clamp(bias + Σ_t w[t]·pad[q + off[t]], lo, hi),
// the taps summed in order, each a product then a sum (GroupConv's roundings).
func dwKernelGo(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	for i := range grid {
		grid[i] = bias
	}
	for t, o := range off {
		wt := w[t]
		src := pad[o:][:len(grid)]
		for i, v := range src {
			grid[i] += wt * v
		}
	}
	for i, v := range grid {
		if v < lo {
			v = lo
		} else if v > hi {
			v = hi
		}
		grid[i] = v
	}
}
