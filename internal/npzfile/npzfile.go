// Package npzfile reads numpy .npz archives as numpy.savez and numpy.savez_compressed write
// them (members named "<key>.npy"; npyio's writer names them "<key>": both are found): the
// .npy header by npyio, the data by this package, with its length checked (npyio's slice
// readers ignore a short read and give zeros) and Fortran-ordered arrays reordered to C order
// (npyio's flat reads ignore fortran_order). The data and surface readers share it.
package npzfile

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

// File is an open numpy .npz archive: a zip of .npy files, one per array. numpy.savez and
// savez_compressed name each member "<key>.npy" (npyio's writer stores "<key>"); both are found.
type File struct {
	path    string
	z       *zip.ReadCloser
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
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, &NotNPZError{Path: path, Err: err}
	}
	f := &File{path: path, z: z, members: map[string]*zip.File{}}
	for _, m := range z.File {
		f.members[strings.TrimSuffix(m.Name, ".npy")] = m
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
func (f *File) Close() error { return f.z.Close() }

// Keys lists the arrays in the file, sorted, for error messages.
func (f *File) Keys() string {
	ks := f.Names()
	if len(ks) == 0 {
		return "no arrays"
	}
	return strings.Join(ks, ", ")
}

// Array is one array of an npz file, positioned at the start of its data.
type Array struct {
	Name    string // "FILE: array \"key\"", for errors
	r       io.ReadCloser
	Kind    byte // numpy's kind character: 'u', 'i', 'f', 'b', …
	Size    int  // bytes per element
	Order   binary.ByteOrder
	Shape   []int
	Fortran bool
}

// Open reads the .npy header of key: magic, version, and the dict {'descr', 'fortran_order',
// 'shape'}. descr is a simple type string such as '<f4' or '|u1'.
func (f *File) Open(key string) (*Array, error) {
	m := f.members[key]
	if m == nil {
		return nil, fmt.Errorf("%s: no array %q (the file has: %s)", f.path, key, f.Keys())
	}
	name := fmt.Sprintf("%s: array %q", f.path, key)
	rc, err := m.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h, err := npy.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: not a .npy array: %w", name, err)
	}
	a := &Array{Name: name, r: rc, Shape: h.Header.Descr.Shape, Fortran: h.Header.Descr.Fortran}
	d := strings.Trim(h.Header.Descr.Type, `'"`)
	if len(d) < 3 || !strings.ContainsRune("<>|=", rune(d[0])) {
		rc.Close()
		return nil, fmt.Errorf("%s: dtype %s is not a plain numeric type", name, h.Header.Descr.Type)
	}
	a.Order = binary.LittleEndian
	if d[0] == '>' {
		a.Order = binary.BigEndian
	}
	a.Kind = d[1]
	if _, err := fmt.Sscanf(d[2:], "%d", &a.Size); err != nil || fmt.Sprint(a.Size) != d[2:] {
		rc.Close()
		return nil, fmt.Errorf("%s: dtype %s is not a plain numeric type", name, d)
	}
	return a, nil
}

// Dtype is numpy's kind and size, e.g. f4.
func (a *Array) Dtype() string { return fmt.Sprintf("%c%d", a.Kind, a.Size) }

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
// must end there.
func (a *Array) Read(n int, all bool) ([]byte, error) {
	b := make([]byte, n*a.Size)
	if _, err := io.ReadFull(a.r, b); err != nil {
		return nil, fmt.Errorf("%s: truncated: shape %s of %s needs %d bytes of data: %w", a.Name, ShapeString(a.Shape), a.Dtype(), len(b), err)
	}
	if all {
		var one [1]byte
		if k, _ := a.r.Read(one[:]); k > 0 {
			return nil, fmt.Errorf("%s: more data than shape %s of %s holds", a.Name, ShapeString(a.Shape), a.Dtype())
		}
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
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	ok := (a.Kind == 'f' && (a.Size == 4 || a.Size == 8)) || ((a.Kind == 'i' || a.Kind == 'u') && slices.Contains([]int{1, 2, 4, 8}, a.Size)) || (a.Kind == 'b' && a.Size == 1)
	if !ok {
		return nil, false, fmt.Errorf("%s: dtype %s is not a float, integer or boolean type", a.Name, a.Dtype())
	}
	b, err := a.Read(n, true)
	if err != nil {
		return nil, false, err
	}
	if a.Fortran {
		b = FortranToC(b, a.Size, a.Shape, max(1, a.Shape[0]))
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
// numpy.savez writes a Python str); ok is false when the array is of another kind.
func (f *File) String(key string) (s string, ok bool, err error) {
	m := f.members[key]
	if m == nil {
		return "", false, fmt.Errorf("%s: no array %q (the file has: %s)", f.path, key, f.Keys())
	}
	rc, err := m.Open()
	if err != nil {
		return "", false, fmt.Errorf("%s: array %q: %w", f.path, key, err)
	}
	defer rc.Close()
	r, err := npy.NewReader(rc)
	if err != nil {
		return "", false, fmt.Errorf("%s: array %q: not a .npy array: %w", f.path, key, err)
	}
	var arr npy.Array
	if err := r.Read(&arr); err != nil {
		return "", false, nil // not a type npyio reads as a string
	}
	switch d := arr.Data().(type) {
	case string:
		return d, true, nil
	case []string:
		if len(d) == 1 {
			return d[0], true, nil
		}
	}
	return "", false, nil
}
