package data

import "image"

// libjpegRGB converts a decoded JPEG's YCbCr planes to 8-bit RGB planes as libjpeg(-turbo), and
// so PIL, does by default: chroma upsampled with "fancy" (triangle) filtering for 4:2:2 and
// 4:2:0 (jdsample.c; edges replicated), then JFIF YCbCr → RGB with libjpeg's 16-bit fixed-point
// constants and rounding (jdcolor.c). Other subsamplings take the nearest chroma sample. The
// DCT itself is Go's, which differs from libjpeg's by about one level.
func libjpegRGB(m *image.YCbCr) (r, g, b []uint8) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cb, cr := make([]uint8, w*h), make([]uint8, w*h)
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		upsampleH2V2(cb, m.Cb, m.CStride, w, h)
		upsampleH2V2(cr, m.Cr, m.CStride, w, h)
	case image.YCbCrSubsampleRatio422:
		for y := range h {
			upsampleH2(cb[y*w:(y+1)*w], widen(m.Cb[y*m.CStride:], (w+1)/2), w, 1, 2, 2)
			upsampleH2(cr[y*w:(y+1)*w], widen(m.Cr[y*m.CStride:], (w+1)/2), w, 1, 2, 2)
		}
	default:
		for y := range h {
			for x := range w {
				o := m.COffset(m.Rect.Min.X+x, m.Rect.Min.Y+y)
				cb[y*w+x], cr[y*w+x] = m.Cb[o], m.Cr[o]
			}
		}
	}
	r, g, b = make([]uint8, w*h), make([]uint8, w*h), make([]uint8, w*h)
	for y := range h {
		for x := range w {
			yy := int32(m.Y[y*m.YStride+x])
			cbx, crx := int32(cb[y*w+x])-128, int32(cr[y*w+x])-128
			i := y*w + x
			r[i] = clamp8(yy + (91881*crx+32768)>>16)
			g[i] = clamp8(yy + (-22554*cbx-46802*crx+32768)>>16)
			b[i] = clamp8(yy + (116130*cbx+32768)>>16)
		}
	}
	return r, g, b
}

// widen returns the first n values of a chroma row as ints.
func widen(row []uint8, n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(row[i])
	}
	return out
}

// upsampleH2 doubles a row of n = len(s) values into out's w ≤ 2n columns, as libjpeg:
// out[2k] = (3·s[k] + s[k−1] + bl) >> shift and out[2k+1] = (3·s[k] + s[k+1] + br) >> shift,
// the row's ends replicated. h2v1 takes raw samples (bl, br, shift = 1, 2, 2); h2v2 takes column
// sums 3·row + neighbour row (8, 7, 4).
func upsampleH2(out []uint8, s []int32, w int, bl, br int32, shift uint) {
	n := len(s)
	for k := range n {
		l, r := s[max(k-1, 0)], s[min(k+1, n-1)]
		if 2*k < w {
			out[2*k] = uint8((3*s[k] + l + bl) >> shift)
		}
		if 2*k+1 < w {
			out[2*k+1] = uint8((3*s[k] + r + br) >> shift)
		}
	}
}

// upsampleH2V2 doubles a 4:2:0 chroma plane both ways: column sums 3·(this row) + (the row
// above for even output rows, below for odd; the edge rows replicated), then upsampleH2.
func upsampleH2V2(out, plane []uint8, stride, w, h int) {
	cw, ch := (w+1)/2, (h+1)/2
	sum := make([]int32, cw)
	for y := range h {
		row := y / 2
		nb := row - 1
		if y%2 == 1 {
			nb = row + 1
		}
		nb = min(max(nb, 0), ch-1)
		for k := range cw {
			sum[k] = 3*int32(plane[row*stride+k]) + int32(plane[nb*stride+k])
		}
		upsampleH2(out[y*w:(y+1)*w], sum, w, 8, 7, 4)
	}
}

func clamp8(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
