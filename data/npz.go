package data

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// npzFile is an open numpy .npz archive: a zip of .npy files, one per array. numpy.savez and
// savez_compressed name each member "<key>.npy" (npyio's writer stores "<key>"); both are found.
type npzFile struct {
	path    string
	z       *zip.ReadCloser
	members map[string]*zip.File // key without ".npy" → member
}

func openNPZ(path string) (*npzFile, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("data: %s is not a readable .npz (zip) file: %w", path, err)
	}
	f := &npzFile{path: path, z: z, members: map[string]*zip.File{}}
	for _, m := range z.File {
		f.members[strings.TrimSuffix(m.Name, ".npy")] = m
	}
	return f, nil
}

// keys lists the arrays in the file, sorted, for error messages.
func (f *npzFile) keys() string {
	ks := make([]string, 0, len(f.members))
	for k := range f.members {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	if len(ks) == 0 {
		return "no arrays"
	}
	return strings.Join(ks, ", ")
}

// npyArray is one array of an npz file, positioned at the start of its data.
type npyArray struct {
	name    string // "FILE: key", for errors
	r       io.ReadCloser
	kind    byte // numpy's kind character: 'u', 'i', 'f', 'b', …
	size    int  // bytes per element
	order   binary.ByteOrder
	shape   []int
	fortran bool
}

// open reads the .npy header of key: magic, version, and the dict {'descr', 'fortran_order',
// 'shape'}. descr is a simple type string such as '<f4' or '|u1'.
func (f *npzFile) open(key string) (*npyArray, error) {
	m := f.members[key]
	if m == nil {
		return nil, fmt.Errorf("data: %s: no array %q (the file has: %s)", f.path, key, f.keys())
	}
	name := fmt.Sprintf("%s: array %q", f.path, key)
	rc, err := m.Open()
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", name, err)
	}
	h, err := npy.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("data: %s: not a .npy array: %w", name, err)
	}
	a := &npyArray{name: name, r: rc, shape: h.Header.Descr.Shape, fortran: h.Header.Descr.Fortran}
	d := strings.Trim(h.Header.Descr.Type, `'"`)
	if len(d) < 3 || !strings.ContainsRune("<>|=", rune(d[0])) {
		rc.Close()
		return nil, fmt.Errorf("data: %s: dtype %s is not a plain numeric type", name, h.Header.Descr.Type)
	}
	a.order = binary.LittleEndian
	if d[0] == '>' {
		a.order = binary.BigEndian
	}
	a.kind = d[1]
	if _, err := fmt.Sscanf(d[2:], "%d", &a.size); err != nil || fmt.Sprint(a.size) != d[2:] {
		rc.Close()
		return nil, fmt.Errorf("data: %s: dtype %s is not a plain numeric type", name, d)
	}
	return a, nil
}

func (a *npyArray) dtype() string { return fmt.Sprintf("%c%d", a.kind, a.size) }

// shapeString formats a shape as numpy prints it.
func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = fmt.Sprint(v)
	}
	if len(s) == 1 {
		return "(" + p[0] + ",)"
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// read returns the first n elements' bytes; all says n is every element, and then the data
// must end there.
func (a *npyArray) read(n int, all bool) ([]byte, error) {
	b := make([]byte, n*a.size)
	if _, err := io.ReadFull(a.r, b); err != nil {
		return nil, fmt.Errorf("data: %s: truncated: shape %s of %s needs %d bytes of data: %w", a.name, shapeString(a.shape), a.dtype(), len(b), err)
	}
	if all {
		var one [1]byte
		if k, _ := a.r.Read(one[:]); k > 0 {
			return nil, fmt.Errorf("data: %s: more data than shape %s of %s holds", a.name, shapeString(a.shape), a.dtype())
		}
	}
	return b, nil
}

// loadNPZ reads images x (N×C×H×W, uint8 or float32/float64) and integer labels y (N or N×1)
// of one split: x_<split>/y_<split> when the file has them, else x/y.
func loadNPZ(path, split string, opt Options) (*Set, error) {
	f, err := openNPZ(path)
	if err != nil {
		return nil, err
	}
	defer f.z.Close()
	xk, yk := "x_"+split, "y_"+split
	if f.members[xk] == nil && f.members[yk] == nil {
		xk, yk = "x", "y"
	}
	if f.members[xk] == nil || f.members[yk] == nil {
		return nil, fmt.Errorf("data: %s: for --split %s want arrays x_%s and y_%s, or x and y (the file has: %s)", path, split, split, split, f.keys())
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
func readLabels(f *npzFile, key string) ([]int32, error) {
	a, err := f.open(key)
	if err != nil {
		return nil, err
	}
	defer a.r.Close()
	if (a.kind != 'i' && a.kind != 'u') || (a.size != 1 && a.size != 2 && a.size != 4 && a.size != 8) {
		return nil, fmt.Errorf("data: %s: dtype %s, want integer class labels (any of int8…int64, uint8…uint64)", a.name, a.dtype())
	}
	if len(a.shape) < 1 || len(a.shape) > 2 || (len(a.shape) == 2 && a.shape[1] != 1) || a.shape[0] == 0 {
		return nil, fmt.Errorf("data: %s: shape %s, want one label per example: (N,) or (N, 1) with N > 0", a.name, shapeString(a.shape))
	}
	n := a.shape[0]
	b, err := a.read(n, true)
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	for i := range out {
		e := b[i*a.size:]
		var v int64
		var big bool // an unsigned value ≥ 2^63
		switch a.size {
		case 1:
			v = int64(e[0])
			if a.kind == 'i' {
				v = int64(int8(e[0]))
			}
		case 2:
			u := a.order.Uint16(e)
			v = int64(u)
			if a.kind == 'i' {
				v = int64(int16(u))
			}
		case 4:
			u := a.order.Uint32(e)
			v = int64(u)
			if a.kind == 'i' {
				v = int64(int32(u))
			}
		case 8:
			u := a.order.Uint64(e)
			v, big = int64(u), a.kind == 'u' && u > math.MaxInt64
		}
		if big || v < 0 || v > math.MaxInt32 {
			return nil, fmt.Errorf("data: %s: label %d of example %d, want a class index 0 ≤ y < 2^31", a.name, v, i)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// readImages reads x, N×C×H×W with N = n, into a normalised Set: uint8 pixels are scaled by
// 1/255 in float32 (as torchvision's ToTensor), float pixels are taken as they are (float64
// rounded to float32); then opt's normalisation, if any.
func readImages(f *npzFile, key string, n int, opt Options) (*Set, error) {
	a, err := f.open(key)
	if err != nil {
		return nil, err
	}
	defer a.r.Close()
	if !(a.kind == 'u' && a.size == 1) && !(a.kind == 'f' && (a.size == 4 || a.size == 8)) {
		return nil, fmt.Errorf("data: %s: dtype %s, want uint8 (pixels 0..255) or float32 images", a.name, a.dtype())
	}
	sh := a.shape
	if len(sh) != 4 {
		hint := ""
		if len(sh) == 3 {
			hint = " (grayscale N×H×W? add the channel axis: x[:, None])"
		}
		return nil, fmt.Errorf("data: %s: shape %s, want N×C×H×W%s", a.name, shapeString(sh), hint)
	}
	if slices.Contains(sh, 0) {
		return nil, fmt.Errorf("data: %s: shape %s has an empty dimension", a.name, shapeString(sh))
	}
	if (sh[3] == 1 || sh[3] == 3) && sh[1] > 4 && sh[2] > 4 {
		return nil, fmt.Errorf("data: %s: shape %s looks like N×H×W×C; want N×C×H×W: x.transpose(0, 3, 1, 2)", a.name, shapeString(sh))
	}
	if sh[0] != n {
		return nil, fmt.Errorf("data: %s: %d images but %d labels", a.name, sh[0], n)
	}
	c, h, w := sh[1], sh[2], sh[3]
	keep := n
	if opt.Limit > 0 && opt.Limit < n {
		keep = opt.Limit
	}
	per := c * h * w
	count := keep * per
	if a.fortran { // column-major data: read it all, gather in C order below
		count = n * per
	}
	b, err := a.read(count, count == n*per)
	if err != nil {
		return nil, err
	}
	if a.fortran {
		b = fortranToC(b, a.size, sh, keep)
	}
	st, err := statsFor("npz", opt)
	if err != nil {
		return nil, err
	}
	s := &Set{N: keep, C: c, H: h, W: w, Images: make([]float32, keep*per)}
	tab, err := tables(st, c)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", a.name, err)
	}
	s.Black = blackLevels(tab)
	if a.kind == 'u' {
		for i := range keep * c {
			convert(s.Images[i*h*w:(i+1)*h*w], b[i*h*w:(i+1)*h*w], &tab[i%c])
		}
		return s, nil
	}
	for i := range s.Images {
		var v float32
		if a.size == 4 {
			v = math.Float32frombits(a.order.Uint32(b[4*i:]))
		} else {
			v = float32(math.Float64frombits(a.order.Uint64(b[8*i:])))
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			ix := unravel(i, sh)
			return nil, fmt.Errorf("data: %s: x%v = %v, want finite pixel values", a.name, ix, v)
		}
		s.Images[i] = v
	}
	if err := normalizeFloats(s.Images, c, h*w, st); err != nil {
		return nil, fmt.Errorf("data: %s: %w", a.name, err)
	}
	return s, nil
}

// fortranToC reorders the first keep images of a column-major N×C×H×W array of size-byte
// elements into row-major order: element (n, c, h, w) is at n + N·(c + C·(h + H·w)).
func fortranToC(b []byte, size int, sh []int, keep int) []byte {
	N, C, H, W := sh[0], sh[1], sh[2], sh[3]
	out := make([]byte, 0, keep*C*H*W*size)
	for n := range keep {
		for c := range C {
			for h := range H {
				for w := range W {
					at := (n + N*(c+C*(h+H*w))) * size
					out = append(out, b[at:at+size]...)
				}
			}
		}
	}
	return out
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
