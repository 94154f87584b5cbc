package cpu

import (
	"landscape/engine"
	"landscape/model"
)

// The im2col matrix of a convolution, written once for the layer functions (Conv), the
// batched engine (rectangular, strided, dilated and asymmetrically padded windows), the GPU
// tests and the training kernels (package train, in float32 and float64), with its adjoint.
//
// Row (c, kh, kw) of the matrix, column i·OH·OW + y·OW + x, holds input pixel
// (iy, ix) = (y·SH + kh·DH − PadT, x·SW + kw·DW − PadL) of channel c of image i, or 0 outside
// the image.

// Im2col fills col [Cin·K·K][n·OH·OW] with the receptive fields of images lo … lo+n−1 of
// in ([Cin][B][H·W]): col[(ci·K+kh)·K+kw][i·OH·OW + oh·OW + ow] =
// in[ci][lo+i][(oh·s+kh−p)·W + ow·s+kw−p], zero outside the image.
func Im2col[T engine.Float](col, in []T, g ConvGeom, B, lo, n int) {
	hw := g.H * g.W
	im2col(col, n*g.OH*g.OW, in[lo*hw:], B*hw, n, colGeomOf(g))
}

// Col2im is the adjoint of Im2col: it adds every entry of dcol back onto the input pixel it
// was read from, dIn[ci][lo+i][ih·W+iw] += dcol[(ci·K+kh)·K+kw][i·OH·OW + oh·OW + ow].
func Col2im[T engine.Float](dIn, dcol []T, g ConvGeom, B, lo, n int) {
	hw := g.H * g.W
	col2im(dIn[lo*hw:], B*hw, dcol, n*g.OH*g.OW, n, colGeomOf(g))
}

// colGeom is a convolution window on a C×H×W input giving OH×OW outputs per channel.
type colGeom struct {
	C, H, W, OH, OW int
	model.Window
}

func colGeomOf(g ConvGeom) colGeom {
	return colGeom{C: g.Cin, H: g.H, W: g.W, OH: g.OH, OW: g.OW, Window: g.Window()}
}

// sameSize reports whether the window keeps the plane size with stride 1: then row (kh, kw)
// of the matrix is the input plane shifted by (kh·DH−PadT)·W + kw·DW−PadL, one contiguous
// copy, with the rows and columns that fall outside the image zeroed.
func (g colGeom) sameSize() bool { return g.SH == 1 && g.SW == 1 && g.OH == g.H && g.OW == g.W }

// validCols returns the range [lo, hi) of output columns x whose input column
// x·SW + kw·DW − PadL lies inside a row of W pixels, and that offset kw·DW − PadL.
func (g colGeom) validCols(kw int) (lo, hi, off int) {
	off = kw*g.DW - g.PadL
	if a := -off; a > 0 {
		lo = min(g.OW, (a+g.SW-1)/g.SW)
	}
	if b := g.W - 1 - off; b >= 0 {
		hi = min(g.OW, b/g.SW+1)
	}
	return lo, max(lo, hi), off
}

// validRows returns the range [lo, hi) of output rows whose input row y + kh·DH − PadT lies
// inside the image, for a same-size window.
func (g colGeom) validRows(kh int) (lo, hi int) {
	lo, hi = max(0, g.PadT-kh*g.DH), min(g.H, g.H+g.PadT-kh*g.DH)
	return lo, max(lo, hi)
}

// im2col writes row (c, kh, kw) of the matrix for nb images at col[((c·KH+kh)·KW+kw)·ldCol:],
// reading channel c of image i at in[c·ldIn + i·H·W:].
func im2col[T engine.Float](col []T, ldCol int, in []T, ldIn, nb int, g colGeom) {
	op, hw := g.OH*g.OW, g.H*g.W
	for c := range g.C {
		for kh := range g.KH {
			for kw := range g.KW {
				row := col[((c*g.KH+kh)*g.KW+kw)*ldCol:][:nb*op]
				c0, c1, off := g.validCols(kw)
				for i := range nb {
					plane := in[c*ldIn+i*hw:][:hw]
					dst := row[i*op:][:op]
					if g.sameSize() {
						shiftPlane(dst, plane, g, kh, kw, c0, c1)
						continue
					}
					for y := range g.OH {
						iy := y*g.SH + kh*g.DH - g.PadT
						d := dst[y*g.OW:][:g.OW]
						if iy < 0 || iy >= g.H || c0 == c1 {
							clear(d)
							continue
						}
						src := plane[iy*g.W:][:g.W]
						clear(d[:c0])
						clear(d[c1:])
						if g.SW == 1 {
							copy(d[c0:c1], src[c0+off:])
							continue
						}
						for x := c0; x < c1; x++ {
							d[x] = src[x*g.SW+off]
						}
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: in[c·ldIn + i·H·W + iy·W + ix] += every entry of col read
// from that pixel.
func col2im[T engine.Float](in []T, ldIn int, col []T, ldCol, nb int, g colGeom) {
	op, hw := g.OH*g.OW, g.H*g.W
	for c := range g.C {
		for kh := range g.KH {
			for kw := range g.KW {
				row := col[((c*g.KH+kh)*g.KW+kw)*ldCol:][:nb*op]
				c0, c1, off := g.validCols(kw)
				for i := range nb {
					plane := in[c*ldIn+i*hw:][:hw]
					src := row[i*op:][:op]
					if g.sameSize() {
						unshiftPlane(plane, src, g, kh, kw, c0, c1)
						continue
					}
					for y := range g.OH {
						iy := y*g.SH + kh*g.DH - g.PadT
						if iy < 0 || iy >= g.H || c0 == c1 {
							continue
						}
						dst := plane[iy*g.W:][:g.W]
						s := src[y*g.OW:][:g.OW]
						if g.SW == 1 {
							addTo(dst[c0+off:c1+off], s[c0:c1])
							continue
						}
						for x := c0; x < c1; x++ {
							dst[x*g.SW+off] += s[x]
						}
					}
				}
			}
		}
	}
}

// shiftPlane is im2col's row (kh, kw) for one image of a same-size window.
func shiftPlane[T engine.Float](dst, plane []T, g colGeom, kh, kw, c0, c1 int) {
	r0, r1 := g.validRows(kh)
	if r0 == r1 || c0 == c1 {
		clear(dst)
		return
	}
	W := g.W
	shift := (kh*g.DH-g.PadT)*W + kw*g.DW - g.PadL
	start, end := r0*W+c0, (r1-1)*W+c1
	clear(dst[:start])
	copy(dst[start:end], plane[start+shift:end+shift])
	clear(dst[end:])
	for r := r0; r < r1-1; r++ { // the columns that wrapped around from a neighbouring row
		for j := r*W + c1; j < (r+1)*W+c0; j++ {
			dst[j] = 0
		}
	}
}

// unshiftPlane is the adjoint of shiftPlane: plane += src shifted back, ignoring the entries
// of src outside the valid window (it zeroes those wrapped-around columns of src first).
func unshiftPlane[T engine.Float](plane, src []T, g colGeom, kh, kw, c0, c1 int) {
	r0, r1 := g.validRows(kh)
	if r0 == r1 || c0 == c1 {
		return
	}
	W := g.W
	shift := (kh*g.DH-g.PadT)*W + kw*g.DW - g.PadL
	start, end := r0*W+c0, (r1-1)*W+c1
	for r := r0; r < r1-1; r++ {
		for j := r*W + c1; j < (r+1)*W+c0; j++ {
			src[j] = 0
		}
	}
	addTo(plane[start+shift:end+shift], src[start:end])
}

// addTo adds src to dst element by element.
func addTo[T engine.Float](dst, src []T) {
	for i, v := range src {
		dst[i] += v
	}
}
