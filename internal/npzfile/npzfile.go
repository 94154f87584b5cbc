// Package npzfile reads numpy .npz archives as numpy.savez and numpy.savez_compressed write
// them (members named "<key>.npy"; npyio's writer names them "<key>": both are found): the
// .npy header by npyio, the data by this package, with its length checked (npyio's slice
// readers ignore a short read and give zeros) and Fortran-ordered arrays reordered to C order
// (npyio's flat reads ignore fortran_order). The data and surface readers share it.
package npzfile

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// File is an open numpy .npz archive: a zip of .npy files, one per array. numpy.savez and
// savez_compressed name each member "<key>.npy" (npyio's writer stores "<key>"); both are found.
// Every member read is checked against the CRC-32 the archive records before its data is
// used, and every size a header claims against the bytes present before anything is
// allocated: a damaged file gives a DamagedError (errors.Is(err, ErrDamaged)), never values.
type File struct {
	path    string
	size    int64
	closer  io.Closer
	members map[string]*zip.File // key without ".npy" → member
}

// NotNPZError says that a file could not be opened as a zip archive (Err says why: missing,
// unreadable, or not a zip file).
type NotNPZError struct {
	Path string
	Err  error
}

func (e *NotNPZError) Error() string {
	return fmt.Sprintf("%s is not a readable .npz (zip) file: %v", e.Path, e.Err)
}

func (e *NotNPZError) Unwrap() error { return e.Err }

// Open opens the archive at path.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &NotNPZError{Path: path, Err: err}
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, &NotNPZError{Path: path, Err: err}
	}
	f, err := NewReader(path, fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// NewReader reads an archive of size bytes from r; name stands for it in errors.
func NewReader(name string, r io.ReaderAt, size int64) (*File, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &NotNPZError{Path: name, Err: err}
	}
	f := &File{path: name, size: size, members: map[string]*zip.File{}}
	for _, m := range z.File {
		k := strings.TrimSuffix(m.Name, ".npy")
		if f.members[k] != nil {
			return nil, fmt.Errorf("%s: two members hold array %q", name, k)
		}
		f.members[k] = m
	}
	return f, nil
}

// Has reports whether the file holds an array key.
func (f *File) Has(key string) bool { return f.members[key] != nil }

// Names lists the arrays' keys, sorted.
func (f *File) Names() []string {
	ks := make([]string, 0, len(f.members))
	for k := range f.members {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Close closes the archive.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Keys lists the arrays in the file, sorted, for error messages.
func (f *File) Keys() string {
	ks := f.Names()
	if len(ks) == 0 {
		return "no arrays"
	}
	return strings.Join(ks, ", ")
}

// Verify checks every member's CRC-32 (reading each to its end).
func (f *File) Verify() error {
	for _, k := range f.Names() {
		r, err := f.openMember(f.members[k])
		if err != nil {
			return err
		}
		err = r.verify()
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Array is one array of an npz file, positioned at the start of its data.
type Array struct {
	Name    string // "FILE: array \"key\"", for errors
	r       *member
	Kind    byte // numpy's kind character: 'u', 'i', 'f', 'b', 'U', …
	Size    int  // bytes per element (4 per character for 'U')
	Order   binary.ByteOrder
	Shape   []int
	Fortran bool
	n       int // elements: the product of Shape
}

// Open reads the .npy header of key: magic, version, and the dict {'descr', 'fortran_order',
// 'shape'}. descr is a simple type string such as '<f4', '|u1' or '<U5'. The data the shape
// needs must be in the member.
func (f *File) Open(key string) (*Array, error) {
	m := f.members[key]
	if m == nil {
		return nil, fmt.Errorf("%s: no array %q (the file has: %s)", f.path, key, f.Keys())
	}
	name := fmt.Sprintf("%s: array %q", f.path, key)
	r, err := f.openMember(m)
	if err != nil {
		return nil, err
	}
	a, err := newArray(name, r)
	if err != nil {
		if !errors.Is(err, ErrDamaged) {
			if derr := r.verify(); derr != nil { // a bad header in a damaged member: say so
				err = derr
			}
		}
		r.Close()
		return nil, err
	}
	return a, nil
}

func newArray(name string, r *member) (*Array, error) {
	h, err := readHeader(r, r.left)
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a := &Array{Name: name, r: r, Shape: h.shape, Fortran: h.fortran, Order: binary.LittleEndian}
	d := h.descr
	if len(d) < 3 || !strings.ContainsRune("<>|=", rune(d[0])) {
		return nil, fmt.Errorf("%s: dtype %q is not a plain numeric type", name, d)
	}
	if d[0] == '>' {
		a.Order = binary.BigEndian
	}
	a.Kind = d[1]
	size, err := strconv.Atoi(d[2:])
	if err != nil || size <= 0 || size > 1<<20 || strconv.Itoa(size) != d[2:] {
		return nil, fmt.Errorf("%s: dtype %q is not a plain numeric type", name, d)
	}
	a.Size = size
	if a.Kind == 'U' {
		a.Size = 4 * size
	}
	a.n = 1
	for _, dim := range a.Shape {
		if dim != 0 && a.n > math.MaxInt/a.Size/dim {
			return nil, fmt.Errorf("%s: shape %s has too many elements", name, ShapeString(a.Shape))
		}
		a.n *= dim
	}
	if need := int64(a.n) * int64(a.Size); need > r.left {
		return nil, fmt.Errorf("%s: truncated: shape %s of %s needs %d bytes of data, the member holds %d", name, ShapeString(a.Shape), a.Dtype(), need, r.left)
	}
	return a, nil
}

// Dtype is numpy's kind and size, e.g. f4 (U5 for 5 characters).
func (a *Array) Dtype() string {
	if a.Kind == 'U' {
		return fmt.Sprintf("U%d", a.Size/4)
	}
	return fmt.Sprintf("%c%d", a.Kind, a.Size)
}

// Err returns err, or instead the member's damage when it fails its CRC-32 check (reading
// it to its end): a header garbled by a damaged byte is then reported as damage. Readers
// return their own header and shape errors through it.
func (a *Array) Err(err error) error {
	if err == nil || errors.Is(err, ErrDamaged) {
		return err
	}
	if derr := a.r.verify(); derr != nil {
		return derr
	}
	return err
}

// Close releases the array's reader.
func (a *Array) Close() error { return a.r.Close() }

// ShapeString formats a shape as numpy prints it: (3,) or (2, 3).
func ShapeString(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = fmt.Sprint(v)
	}
	if len(s) == 1 {
		return "(" + p[0] + ",)"
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// Read returns the first n elements' bytes; all says n is every element, and then the data
// must end there. The whole member is checked against its CRC-32 before the bytes are
// returned.
func (a *Array) Read(n int, all bool) ([]byte, error) {
	if n < 0 || n > a.n {
		return nil, fmt.Errorf("%s: %d elements asked of shape %s", a.Name, n, ShapeString(a.Shape))
	}
	b := make([]byte, n*a.Size)
	if _, err := io.ReadFull(a.r, b); err != nil {
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: truncated: shape %s of %s needs %d bytes of data: %w", a.Name, ShapeString(a.Shape), a.Dtype(), len(b), err)
	}
	if all && a.r.left > 0 {
		return nil, fmt.Errorf("%s: more data than shape %s of %s holds", a.Name, ShapeString(a.Shape), a.Dtype())
	}
	if err := a.r.verify(); err != nil {
		return nil, err
	}
	return b, nil
}

// FortranToC reorders the first keep rows (along dimension 0) of a column-major array of
// shape sh and size-byte elements into row-major order: element (i0, i1, …) is at
// i0 + sh[0]·(i1 + sh[1]·(i2 + …)).
func FortranToC(b []byte, size int, sh []int, keep int) []byte {
	if len(sh) == 0 {
		return b
	}
	rest := 1
	for _, d := range sh[1:] {
		rest *= d
	}
	out := make([]byte, 0, keep*rest*size)
	ix := make([]int, len(sh))
	for range keep * rest { // row-major order over (keep, sh[1:]...)
		at, stride := 0, 1
		for d := range sh {
			at += ix[d] * stride
			stride *= sh[d]
		}
		out = append(out, b[at*size:(at+1)*size]...)
		for d := len(sh) - 1; d >= 0; d-- {
			ix[d]++
			if ix[d] < sh[d] {
				break
			}
			ix[d] = 0
		}
	}
	return out
}

// Floats reads the whole array in C order as float64: float (f4, f8), integer (i1…i8, u1…u8)
// and boolean (b1) dtypes. isFloat says whether the dtype was a float type.
func (a *Array) Floats() (v []float64, isFloat bool, err error) {
	n := a.n
	ok := (a.Kind == 'f' && (a.Size == 4 || a.Size == 8)) || ((a.Kind == 'i' || a.Kind == 'u') && slices.Contains([]int{1, 2, 4, 8}, a.Size)) || (a.Kind == 'b' && a.Size == 1)
	if !ok {
		return nil, false, a.Err(fmt.Errorf("%s: dtype %s is not a float, integer or boolean type", a.Name, a.Dtype()))
	}
	b, err := a.Read(n, true)
	if err != nil {
		return nil, false, err
	}
	if a.Fortran && len(a.Shape) > 0 {
		b = FortranToC(b, a.Size, a.Shape, a.Shape[0])
	}
	v = make([]float64, n)
	for i := range v {
		e := b[i*a.Size:]
		switch {
		case a.Kind == 'f' && a.Size == 4:
			v[i] = float64(math.Float32frombits(a.Order.Uint32(e)))
		case a.Kind == 'f':
			v[i] = math.Float64frombits(a.Order.Uint64(e))
		case a.Size == 1 && a.Kind == 'i':
			v[i] = float64(int8(e[0]))
		case a.Size == 1:
			v[i] = float64(e[0])
		case a.Size == 2 && a.Kind == 'i':
			v[i] = float64(int16(a.Order.Uint16(e)))
		case a.Size == 2:
			v[i] = float64(a.Order.Uint16(e))
		case a.Size == 4 && a.Kind == 'i':
			v[i] = float64(int32(a.Order.Uint32(e)))
		case a.Size == 4:
			v[i] = float64(a.Order.Uint32(e))
		case a.Kind == 'i':
			v[i] = float64(int64(a.Order.Uint64(e)))
		default:
			v[i] = float64(a.Order.Uint64(e))
		}
	}
	return v, a.Kind == 'f', nil
}

// String reads a numpy unicode string array of one element (a 0-d or (1,) '<U…' array, as
// numpy.savez writes a Python str); ok is false when the array is of another kind. The
// member's CRC-32 is checked either way.
func (f *File) String(key string) (s string, ok bool, err error) {
	a, err := f.Open(key)
	if err != nil {
		return "", false, err
	}
	defer a.Close()
	if a.Kind != 'U' || a.n != 1 {
		return "", false, a.r.verify()
	}
	b, err := a.Read(1, true)
	if err != nil {
		return "", false, err
	}
	var sb strings.Builder
	for i := 0; i < len(b); i += 4 {
		c := a.Order.Uint32(b[i:])
		if c == 0 { // numpy pads with NULs
			break
		}
		if !utf8.ValidRune(rune(c)) || c > unicode.MaxRune {
			return "", false, fmt.Errorf("%s: character %d is U+%X, not a Unicode code point", a.Name, i/4, c)
		}
		sb.WriteRune(rune(c))
	}
	return sb.String(), true, nil
}
