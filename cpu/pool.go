package cpu

import (
	"math"

	"landscape/model"
)

// maxPoolSeparable is PoolWindow's maximum for an undilated window (win.DH = win.DW = 1), as
// two one-dimensional maxima: for each output row, colMax[x] = max over the window's rows of
// in[y][x], then out[oy][ox] = max over the window's columns of colMax. It gives PoolWindow's
// results (the maximum of the same pixels; NaN if the window holds one, -Inf for a window
// wholly in the padding) with about a third of its work for a 3×3 window. colMax holds w floats.
func maxPoolSeparable(out, in []float32, h, w int, win model.Window, colMax []float32) {
	oh, ow := win.OutSize(h, w)
	cm := colMax[:w]
	negInf := float32(math.Inf(-1))
	for oy := range oh {
		y0 := oy*win.SH - win.PadT
		ys, ye := max(y0, 0), min(y0+win.KH, h)
		for x := range cm {
			cm[x] = negInf
		}
		for y := ys; y < ye; y++ {
			for x, v := range in[y*w : y*w+w] {
				if v > cm[x] || v != v {
					cm[x] = v
				}
			}
		}
		o := out[oy*ow : oy*ow+ow]
		for ox := range o {
			x0 := ox*win.SW - win.PadL
			m := negInf
			for _, v := range cm[max(x0, 0):min(x0+win.KW, w)] {
				if v > m || v != v {
					m = v
				}
			}
			o[ox] = m
		}
	}
}
