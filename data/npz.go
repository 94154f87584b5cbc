package data

import (
	"fmt"
	"math"
	"slices"

	"landscape/internal/npzfile"
)

// loadNPZ reads images x (N×C×H×W, uint8 or float32/float64) and integer labels y (N or N×1)
// of one split: x_<split>/y_<split> when the file has them, else x/y.
func loadNPZ(path, split string, opt Options) (*Set, error) {
	f, err := npzfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	xk, yk := "x_"+split, "y_"+split
	if !f.Has(xk) && !f.Has(yk) {
		xk, yk = "x", "y"
	}
	if !f.Has(xk) || !f.Has(yk) {
		return nil, fmt.Errorf("data: %s: for --split %s want arrays x_%s and y_%s, or x and y (the file has: %s)", path, split, split, split, f.Keys())
	}
	labels, err := readLabels(f, yk)
	if err != nil {
		return nil, err
	}
	s, err := readImages(f, xk, len(labels), opt)
	if err != nil {
		return nil, err
	}
	s.Labels = labels[:s.N]
	for _, l := range s.Labels {
		s.Classes = max(s.Classes, int(l)+1)
	}
	return s, nil
}

// readLabels reads an integer array of shape (N,) or (N, 1) as int32 labels ≥ 0.
func readLabels(f *npzfile.File, key string) ([]int32, error) {
	a, err := f.Open(key)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if (a.Kind != 'i' && a.Kind != 'u') || (a.Size != 1 && a.Size != 2 && a.Size != 4 && a.Size != 8) {
		return nil, a.Err(fmt.Errorf("data: %s: dtype %s, want integer class labels (any of int8…int64, uint8…uint64)", a.Name, a.Dtype()))
	}
	if len(a.Shape) < 1 || len(a.Shape) > 2 || (len(a.Shape) == 2 && a.Shape[1] != 1) || a.Shape[0] == 0 {
		return nil, a.Err(fmt.Errorf("data: %s: shape %s, want one label per example: (N,) or (N, 1) with N > 0", a.Name, npzfile.ShapeString(a.Shape)))
	}
	n := a.Shape[0]
	b, err := a.Read(n, true)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		e := b[i*a.Size:]
		var v int64
		var big bool // an unsigned value ≥ 2^63
		switch a.Size {
		case 1:
			v = int64(e[0])
			if a.Kind == 'i' {
				v = int64(int8(e[0]))
			}
		case 2:
			u := a.Order.Uint16(e)
			v = int64(u)
			if a.Kind == 'i' {
				v = int64(int16(u))
			}
		case 4:
			u := a.Order.Uint32(e)
			v = int64(u)
			if a.Kind == 'i' {
				v = int64(int32(u))
			}
		case 8:
			u := a.Order.Uint64(e)
			v, big = int64(u), a.Kind == 'u' && u > math.MaxInt64
		}
		if big || v < 0 || v > math.MaxInt32 {
			return nil, fmt.Errorf("data: %s: label %d of example %d, want a class index 0 ≤ y < 2^31", a.Name, v, i)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// readImages reads x, N×C×H×W with N = n, into a normalised Set: uint8 pixels are scaled by
// 1/255 in float32 (as torchvision's ToTensor), float pixels are taken as they are (float64
// rounded to float32); then opt's normalisation, if any.
func readImages(f *npzfile.File, key string, n int, opt Options) (*Set, error) {
	a, err := f.Open(key)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if !(a.Kind == 'u' && a.Size == 1) && !(a.Kind == 'f' && (a.Size == 4 || a.Size == 8)) {
		return nil, a.Err(fmt.Errorf("data: %s: dtype %s, want uint8 (pixels 0..255) or float32 images", a.Name, a.Dtype()))
	}
	sh := a.Shape
	if len(sh) != 4 {
		hint := ""
		if len(sh) == 3 {
			hint = " (grayscale N×H×W? add the channel axis: x[:, None])"
		}
		return nil, a.Err(fmt.Errorf("data: %s: shape %s, want N×C×H×W%s", a.Name, npzfile.ShapeString(sh), hint))
	}
	if slices.Contains(sh, 0) {
		return nil, a.Err(fmt.Errorf("data: %s: shape %s has an empty dimension", a.Name, npzfile.ShapeString(sh)))
	}
	if (sh[3] == 1 || sh[3] == 3) && sh[1] > 4 && sh[2] > 4 {
		return nil, a.Err(fmt.Errorf("data: %s: shape %s looks like N×H×W×C; want N×C×H×W: x.transpose(0, 3, 1, 2)", a.Name, npzfile.ShapeString(sh)))
	}
	if sh[0] != n {
		return nil, a.Err(fmt.Errorf("data: %s: %d images but %d labels", a.Name, sh[0], n))
	}
	c, h, w := sh[1], sh[2], sh[3]
	keep := n
	if opt.Limit > 0 && opt.Limit < n {
		keep = opt.Limit
	}
	per := c * h * w
	count := keep * per
	if a.Fortran { // column-major data: read it all, gather in C order below
		count = n * per
	}
	b, err := a.Read(count, count == n*per)
	if err != nil {
		return nil, err
	}
	if a.Fortran {
		b = npzfile.FortranToC(b, a.Size, sh, keep)
	}
	st, err := statsFor("npz", opt)
	if err != nil {
		return nil, err
	}
	s := &Set{N: keep, C: c, H: h, W: w, Images: make([]float32, keep*per)}
	tab, err := tables(st, c)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", a.Name, err)
	}
	s.Black = blackLevels(tab)
	if a.Kind == 'u' {
		for i := range keep * c {
			convert(s.Images[i*h*w:(i+1)*h*w], b[i*h*w:(i+1)*h*w], &tab[i%c])
		}
		return s, nil
	}
	for i := range s.Images {
		var v float32
		if a.Size == 4 {
			v = math.Float32frombits(a.Order.Uint32(b[4*i:]))
		} else {
			v = float32(math.Float64frombits(a.Order.Uint64(b[8*i:])))
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			ix := unravel(i, sh)
			return nil, fmt.Errorf("data: %s: x%v = %v, want finite pixel values", a.Name, ix, v)
		}
		s.Images[i] = v
	}
	if err := normalizeFloats(s.Images, c, h*w, st); err != nil {
		return nil, fmt.Errorf("data: %s: %w", a.Name, err)
	}
	return s, nil
}

// unravel turns a row-major flat index into indices of shape sh.
func unravel(i int, sh []int) []int {
	ix := make([]int, len(sh))
	for d := len(sh) - 1; d >= 0; d-- {
		ix[d] = i % sh[d]
		i /= sh[d]
	}
	return ix
}
