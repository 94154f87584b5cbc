package cpu

import "landscape/engine"

// The im2col matrix of a convolution, for the layer functions (Conv), the GPU tests and the
// training kernels (package train, in float32 and float64), with its adjoint. Activations are
// laid out [C][B][H·W]: channel plane ci of image i at (ci·B + i)·H·W.

// validCols returns the range [lo, hi) of output columns ow whose input column
// ow·stride + kw − pad lies inside a row of w pixels.
func validCols(g ConvGeom, kw int) (lo, hi int) {
	if a := g.Pad - kw; a > 0 {
		lo = (a + g.Stride - 1) / g.Stride
	}
	if b := g.W - 1 + g.Pad - kw; b >= 0 {
		hi = min(g.OW, b/g.Stride+1)
	}
	return lo, max(lo, hi)
}

// Im2col fills col [Cin·K·K][n·OH·OW] with the receptive fields of images lo … lo+n−1 of
// in ([Cin][B][H·W]): col[(ci·K+kh)·K+kw][i·OH·OW + oh·OW + ow] =
// in[ci][lo+i][(oh·s+kh−p)·W + ow·s+kw−p], zero outside the image.
func Im2col[T engine.Float](col, in []T, g ConvGeom, B, lo, n int) {
	op, hw := g.OH*g.OW, g.H*g.W
	cols := n * op
	for ci := range g.Cin {
		for kh := range g.K {
			for kw := range g.K {
				row := col[((ci*g.K+kh)*g.K+kw)*cols:][:cols]
				c0, c1 := validCols(g, kw)
				off := kw - g.Pad
				for i := range n {
					plane := in[(ci*B+lo+i)*hw:][:hw]
					dst := row[i*op:][:op]
					if g.SameSize() {
						shiftPlane(dst, plane, g, kh, kw, c0, c1)
						continue
					}
					for oh := range g.OH {
						ih := oh*g.Stride + kh - g.Pad
						d := dst[oh*g.OW:][:g.OW]
						if ih < 0 || ih >= g.H || c0 == c1 {
							clear(d)
							continue
						}
						src := plane[ih*g.W:][:g.W]
						clear(d[:c0])
						clear(d[c1:])
						if g.Stride == 1 {
							copy(d[c0:c1], src[c0+off:])
							continue
						}
						for ow := c0; ow < c1; ow++ {
							d[ow] = src[ow*g.Stride+off]
						}
					}
				}
			}
		}
	}
}

// validRows returns the range [lo, hi) of output rows whose input row oh + kh − pad lies
// inside the image, for a same-size convolution.
func validRows(g ConvGeom, kh int) (lo, hi int) {
	lo, hi = max(0, g.Pad-kh), min(g.H, g.H+g.Pad-kh)
	return lo, max(lo, hi)
}

// shiftPlane is im2col's row (kh, kw) for one image of a same-size convolution.
func shiftPlane[T engine.Float](dst, plane []T, g ConvGeom, kh, kw, c0, c1 int) {
	r0, r1 := validRows(g, kh)
	if r0 == r1 || c0 == c1 {
		clear(dst)
		return
	}
	W := g.W
	shift := (kh-g.Pad)*W + kw - g.Pad
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
func unshiftPlane[T engine.Float](plane, src []T, g ConvGeom, kh, kw, c0, c1 int) {
	r0, r1 := validRows(g, kh)
	if r0 == r1 || c0 == c1 {
		return
	}
	W := g.W
	shift := (kh-g.Pad)*W + kw - g.Pad
	start, end := r0*W+c0, (r1-1)*W+c1
	for r := r0; r < r1-1; r++ {
		for j := r*W + c1; j < (r+1)*W+c0; j++ {
			src[j] = 0
		}
	}
	addTo(plane[start+shift:end+shift], src[start:end])
}

// Col2im is the adjoint of Im2col: it adds every entry of dcol back onto the input pixel it
// was read from, dIn[ci][lo+i][ih·W+iw] += dcol[(ci·K+kh)·K+kw][i·OH·OW + oh·OW + ow].
func Col2im[T engine.Float](dIn, dcol []T, g ConvGeom, B, lo, n int) {
	op, hw := g.OH*g.OW, g.H*g.W
	cols := n * op
	for ci := range g.Cin {
		for kh := range g.K {
			for kw := range g.K {
				row := dcol[((ci*g.K+kh)*g.K+kw)*cols:][:cols]
				c0, c1 := validCols(g, kw)
				off := kw - g.Pad
				for i := range n {
					plane := dIn[(ci*B+lo+i)*hw:][:hw]
					src := row[i*op:][:op]
					if g.SameSize() {
						unshiftPlane(plane, src, g, kh, kw, c0, c1)
						continue
					}
					for oh := range g.OH {
						ih := oh*g.Stride + kh - g.Pad
						if ih < 0 || ih >= g.H || c0 == c1 {
							continue
						}
						dst := plane[ih*g.W:][:g.W]
						s := src[oh*g.OW:][:g.OW]
						if g.Stride == 1 {
							addTo(dst[c0+off:c1+off], s[c0:c1])
							continue
						}
						for ow := c0; ow < c1; ow++ {
							dst[ow*g.Stride+off] += s[ow]
						}
					}
				}
			}
		}
	}
}

// addTo adds src to dst element by element.
func addTo[T engine.Float](dst, src []T) {
	for i, v := range src {
		dst[i] += v
	}
}
