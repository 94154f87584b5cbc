package cpu

import (
	"math"

	"landscape/model"
)

// maxPoolSeparable is PoolWindow's maximum for an undilated window (win.DH = win.DW = 1), as
// two one-dimensional maxima: for each output row, colMax[PadL + x] = max over the window's
// rows of in[y][x] (maxInto), then out[oy][ox] = max over the window's columns of colMax
// (maxWindow), the padding columns of colMax holding −Inf. It gives PoolWindow's results (the
// maximum of the same pixels; NaN if the window holds one, −Inf for a window wholly in the
// padding) with about a third of its work for a 3×3 window, both passes 16 lanes at a time with
// AVX-512 (strides 1 and 2). colMax holds poolRowLen(w, win) floats.
func maxPoolSeparable(out, in []float32, h, w int, win model.Window, colMax []float32) {
	oh, _ := win.OutSize(h, w)
	maxPoolRows(out, in, 0, h, w, win, colMax, 0, oh)
}

// maxPoolRows is maxPoolSeparable for output rows oy0..oy1-1 only (out holds them from row oy0
// on) of an h×w plane of which in holds rows y0.. on: the rows those outputs read.
func maxPoolRows(out, in []float32, y0, h, w int, win model.Window, colMax []float32, oy0, oy1 int) {
	_, ow := win.OutSize(h, w)
	cm := colMax[:poolRowLen(w, win)]
	negInf := float32(math.Inf(-1))
	for x := range cm {
		cm[x] = negInf
	}
	row := cm[win.PadL : win.PadL+w]
	for oy := oy0; oy < oy1; oy++ {
		top := oy*win.SH - win.PadT
		ys, ye := max(top, 0)-y0, min(top+win.KH, h)-y0
		if ys >= ye {
			for x := range row {
				row[x] = negInf
			}
		} else {
			copy(row, in[ys*w:ys*w+w])
		}
		for y := ys + 1; y < ye; y++ {
			maxInto(row, in[y*w:y*w+w])
		}
		maxWindow(out[(oy-oy0)*ow:][:ow], cm, win.KW, win.SW)
	}
}

// poolRowLen is the length of maxPoolSeparable's colMax for rows of w pixels: the padded row
// and what maxWindow reads beyond it.
func poolRowLen(w int, win model.Window) int {
	_, ow := win.OutSize(1, w)
	return max(win.PadL+w, windowSpan(ow, win.KW, win.SW))
}

// windowSpan is how many floats of its input maxWindow may read for n outputs: whole vectors
// of 16 outputs, and one more vector.
func windowSpan(n, kw, sw int) int { return sw*roundUp(n, 16) + kw + 16 }

// maxIntoGo is maxInto in Go.
func maxIntoGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		if v > dst[i] || v != v {
			dst[i] = v
		}
	}
}

// maxWindowGo is maxWindow in Go.
func maxWindowGo(out, cm []float32, kw, sw int) {
	for o := range out {
		m := float32(math.Inf(-1))
		for _, v := range cm[o*sw : o*sw+kw] {
			if v > m || v != v {
				m = v
			}
		}
		out[o] = m
	}
}
