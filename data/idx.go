package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
)

const (
	idxImagesMagic = 0x00000803 // unsigned bytes, 3 dimensions
	idxLabelsMagic = 0x00000801 // unsigned bytes, 1 dimension
)

// idxPrefix maps a split to the prefix of its IDX file names.
func idxPrefix(split string) string {
	if split == "test" {
		return "t10k"
	}
	return "train"
}

// loadIDX reads the MNIST-style IDX image and label files of one split.
func loadIDX(kind, dir, split string, opt Options) (*Set, error) {
	p := idxPrefix(split)
	imgPath, err := findIDX(kind, dir, split, p+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lblPath, err := findIDX(kind, dir, split, p+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	img, err := readMaybeGzip(imgPath)
	if err != nil {
		return nil, err
	}
	lbl, err := readMaybeGzip(lblPath)
	if err != nil {
		return nil, err
	}
	return decodeIDX(kind, imgPath, img, lblPath, lbl, opt)
}

// decodeIDX decodes the contents of an IDX image file and its label file; every count the
// headers claim is checked against the bytes present before anything is allocated.
func decodeIDX(kind, imgPath string, img []byte, lblPath string, lbl []byte, opt Options) (*Set, error) {
	d, pix, err := parseIDX(imgPath, img, idxImagesMagic, 3)
	if err != nil {
		return nil, err
	}
	n, rows, cols := d[0], d[1], d[2]
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("data: %s: header says images of %dx%d, want non-zero sizes", imgPath, rows, cols)
	}
	if err := checkPayload(imgPath, pix, fmt.Sprintf("%d images of %dx%d", n, rows, cols), n, rows*cols); err != nil {
		return nil, err
	}
	ld, labels, err := parseIDX(lblPath, lbl, idxLabelsMagic, 1)
	if err != nil {
		return nil, err
	}
	if err := checkPayload(lblPath, labels, fmt.Sprintf("%d labels", ld[0]), ld[0], 1); err != nil {
		return nil, err
	}
	if ld[0] != n {
		return nil, fmt.Errorf("data: %s has %d images but %s has %d labels", imgPath, n, lblPath, ld[0])
	}
	if n == 0 {
		return nil, fmt.Errorf("data: %s: no examples", imgPath)
	}
	keep := int(n)
	if opt.Limit > 0 && opt.Limit < keep {
		keep = opt.Limit
	}
	h, w := int(rows), int(cols)
	s := &Set{N: keep, C: 1, H: h, W: w, Classes: 10,
		Images: make([]float32, keep*h*w), Labels: make([]int32, keep)}
	for i, l := range labels[:keep] {
		if l >= 10 {
			return nil, fmt.Errorf("data: %s: label %d of example %d out of range, want 0..9", lblPath, l, i)
		}
		s.Labels[i] = int32(l)
	}
	st, err := statsFor(kind, opt)
	if err != nil {
		return nil, err
	}
	tab, err := tables(st, 1)
	if err != nil {
		return nil, err
	}
	s.Black = blackLevels(tab)
	convert(s.Images, pix[:keep*h*w], &tab[0])
	return s, nil
}

// findIDX returns dir/base if it exists, else dir/base.gz if that exists.
func findIDX(kind, dir, split, base string) (string, error) {
	plain := filepath.Join(dir, base)
	gz := plain + ".gz"
	for _, p := range []string{plain, gz} {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: %w", err)
		}
	}
	return "", fmt.Errorf("data: %s %s split: neither %s nor %s exists", kind, split, plain, gz)
}

// readMaybeGzip reads the whole file, decompressing it if it starts with the
// gzip magic bytes 0x1f 0x8b.
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("data: %s: bad gzip data: %w", path, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("data: %s: bad gzip data: %w", path, err)
	}
	return out, nil
}

// parseIDX checks the magic number of an IDX file with dims dimensions and
// returns the dimensions and the bytes that follow the header.
func parseIDX(path string, b []byte, magic uint32, dims int) ([]uint64, []byte, error) {
	hdr := 4 + 4*dims
	if len(b) < hdr {
		return nil, nil, fmt.Errorf("data: %s: truncated header: %d bytes, want %d", path, len(b), hdr)
	}
	if m := binary.BigEndian.Uint32(b); m != magic {
		return nil, nil, fmt.Errorf("data: %s: bad magic 0x%08x, want 0x%08x (IDX unsigned bytes, %d dimensions)", path, m, magic, dims)
	}
	d := make([]uint64, dims)
	for i := range d {
		d[i] = uint64(binary.BigEndian.Uint32(b[4+4*i:]))
	}
	return d, b[hdr:], nil
}

// checkPayload checks that payload holds exactly n records of size bytes;
// what describes the records for the error message.
func checkPayload(path string, payload []byte, what string, n, size uint64) error {
	hi, want := bits.Mul64(n, size)
	got := uint64(len(payload))
	switch {
	case hi != 0 || want > got:
		return fmt.Errorf("data: %s: truncated: header says %s (%s bytes) but only %d bytes follow", path, what, mulString(n, size), got)
	case want < got:
		return fmt.Errorf("data: %s: header says %s (%d bytes) but %d bytes follow", path, what, want, got)
	}
	return nil
}

// mulString formats a*b, which may not fit in 64 bits.
func mulString(a, b uint64) string {
	if hi, lo := bits.Mul64(a, b); hi == 0 {
		return fmt.Sprint(lo)
	}
	return "over 2^64"
}
