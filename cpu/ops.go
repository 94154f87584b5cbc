package cpu

import (
	"math"

	"landscape/model"
)

// The layers of imported graphs (ONNX) that the zoo does not use: grouped or dilated
// convolutions with any window, pooling over any window, and element-wise layers. Each function
// works on one image (or one row of the engine's batch layout): the engine calls it per image.

// GroupConv computes one image of a convolution with groups g (depthwise when g = Cin) and any
// window, directly (no matrix product):
//
//	out[co][oy][ox] = b[co] + Σ_{ci<Cin/g, kh, kw} w[co][ci][kh][kw] · in[(co/(Cout/g))·Cin/g + ci][oy·SH−PadT+kh·DH][ox·SW−PadL+kw·DW]
//
// with zeros outside the input. Channel c of in starts at in[c·inStride], of out at
// out[c·outStride]; is and os are the [C,H,W] shapes. b may be nil.
func GroupConv(out, in, w, b []float32, is, os [3]int, win model.Window, g, inStride, outStride int) {
	cg, og := is[0]/g, os[0]/g
	h, wd, oh, ow := is[1], is[2], os[1], os[2]
	for co := range os[0] {
		o := out[co*outStride:][:oh*ow]
		var bias float32
		if b != nil {
			bias = b[co]
		}
		for i := range o {
			o[i] = bias
		}
		for ci := range cg {
			plane := in[(co/og*cg+ci)*inStride:][:h*wd]
			for kh := range win.KH {
				for kw := range win.KW {
					wv := w[((co*cg+ci)*win.KH+kh)*win.KW+kw]
					dx := kw*win.DW - win.PadL
					// valid ox: 0 ≤ ox·SW + dx < W
					lo := 0
					if dx < 0 {
						lo = (-dx + win.SW - 1) / win.SW
					}
					hi := 0
					if wd-1-dx >= 0 {
						hi = min(ow, (wd-1-dx)/win.SW+1)
					}
					for oy := range oh {
						iy := oy*win.SH - win.PadT + kh*win.DH
						if iy < 0 || iy >= h {
							continue
						}
						src := plane[iy*wd:][:wd]
						dst := o[oy*ow:][:ow]
						if win.SW == 1 && lo < hi {
							axpy(dst[lo:hi], src[lo+dx:], wv) // vectorised; the same roundings
							continue
						}
						for ox := lo; ox < hi; ox++ {
							dst[ox] += wv * src[ox*win.SW+dx]
						}
					}
				}
			}
		}
	}
}

// PoolWindow pools one h×w plane of in over win into out (OH×OW, win.OutSize): the maximum
// (NaN if the window holds one, as PyTorch) or, with avg, the mean, dividing by the window's
// size clipped to the padded input when win.CountPad, else by the number of input pixels in
// it (sums in float64).
func PoolWindow(out, in []float32, h, w int, win model.Window, avg bool) {
	oh, ow := win.OutSize(h, w)
	for oy := range oh {
		y0 := oy*win.SH - win.PadT
		for ox := range ow {
			x0 := ox*win.SW - win.PadL
			if avg {
				ye, xe := min(y0+win.KH, h+win.PadB), min(x0+win.KW, w+win.PadR)
				size := (ye - y0) * (xe - x0)
				ys, xs, ye, xe := max(y0, 0), max(x0, 0), min(ye, h), min(xe, w)
				if !win.CountPad {
					size = (ye - ys) * (xe - xs)
				}
				var s float64
				for y := ys; y < ye; y++ {
					for x := xs; x < xe; x++ {
						s += float64(in[y*w+x])
					}
				}
				out[oy*ow+ox] = float32(s / float64(size))
				continue
			}
			m := float32(math.Inf(-1))
			for kh := range win.KH {
				y := y0 + kh*win.DH
				if y < 0 || y >= h {
					continue
				}
				for kw := range win.KW {
					x := x0 + kw*win.DW
					if x < 0 || x >= w {
						continue
					}
					if v := in[y*w+x]; v > m || v != v {
						m = v
					}
				}
			}
			out[oy*ow+ox] = m
		}
	}
}

// Activate applies activation kind (OpReLU, OpClip with bounds lo, hi, OpLeakyReLU with slope
// alpha, OpSigmoid) to src into dst (which may be src). ReLU and Clip keep NaN, as PyTorch's do.
func Activate(kind model.OpKind, lo, hi, alpha float32, dst, src []float32) {
	switch kind {
	case model.OpReLU:
		for i, v := range src {
			if v < 0 {
				v = 0
			}
			dst[i] = v
		}
	case model.OpClip:
		for i, v := range src {
			if v < lo {
				v = lo
			} else if v > hi {
				v = hi
			}
			dst[i] = v
		}
	case model.OpLeakyReLU:
		for i, v := range src {
			if v < 0 {
				v *= alpha
			}
			dst[i] = v
		}
	case model.OpSigmoid:
		for i, v := range src {
			dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
}

// Affine writes dst = src·scale + shift (a batch norm standing alone, Layer.Affine).
func Affine(dst, src []float32, scale, shift float32) {
	for i, v := range src {
		dst[i] = v*scale + shift
	}
}

// addReLU adds res (if not nil) to dst and applies the optional ReLU: the epilogue of a
// directly computed convolution, row by row.
func addReLU(dst, res []float32, relu bool) {
	if res != nil {
		for i := range dst {
			dst[i] += res[i]
		}
	}
	if relu {
		for i, v := range dst {
			if v < 0 {
				dst[i] = 0
			}
		}
	}
}
