package data

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"landscape/internal/npzfile"
)

// WriteIDX writes n images of h×w bytes and their labels as IDX files in dir
// (created if needed): train-images-idx3-ubyte and train-labels-idx1-ubyte
// for split "train", t10k-... for split "test", each with a .gz suffix and
// gzip-compressed when gzipped is true.
func WriteIDX(dir, split string, images []uint8, labels []uint8, n, h, w int, gzipped bool) error {
	if err := CheckSplit("split", split); err != nil {
		return fmt.Errorf("data: WriteIDX: %w", err)
	}
	if len(images) != n*h*w || len(labels) != n {
		return fmt.Errorf("data: WriteIDX: %d image bytes and %d labels, want %d and %d", len(images), len(labels), n*h*w, n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	p := idxPrefix(split)
	img := idxHeader(idxImagesMagic, n, h, w)
	lbl := idxHeader(idxLabelsMagic, n)
	if err := writeFile(filepath.Join(dir, p+"-images-idx3-ubyte"), append(img, images...), gzipped); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, p+"-labels-idx1-ubyte"), append(lbl, labels...), gzipped)
}

// idxHeader returns the big-endian magic number followed by the dimensions.
func idxHeader(magic uint32, dims ...int) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return b
}

// writeFile writes b to path, or gzip-compressed to path+".gz" if gzipped.
func writeFile(path string, b []byte, gzipped bool) error {
	if gzipped {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b) // writes to a bytes.Buffer cannot fail
		if err := zw.Close(); err != nil {
			return fmt.Errorf("data: %s: %w", path, err)
		}
		path, b = path+".gz", z.Bytes()
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}

// WriteCIFAR10 writes len(labels) CIFAR-10 binary records (1 label byte then
// 3072 CHW pixel bytes from images) into dir (created if needed), splitting
// them evenly over the given file names in order: file k gets records
// [k*n/len(files), (k+1)*n/len(files)), so a file may be empty if n is small.
func WriteCIFAR10(dir string, files []string, images []uint8, labels []uint8) error {
	n := len(labels)
	if len(files) == 0 || len(images) != n*cifarPixels {
		return fmt.Errorf("data: WriteCIFAR10: %d files, %d image bytes, %d labels: want files and %d image bytes", len(files), len(images), n, n*cifarPixels)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	for k, name := range files {
		lo, hi := k*n/len(files), (k+1)*n/len(files)
		b := make([]byte, 0, (hi-lo)*cifarRecord)
		for i := lo; i < hi; i++ {
			b = append(b, labels[i])
			b = append(b, images[i*cifarPixels:(i+1)*cifarPixels]...)
		}
		if err := writeFile(filepath.Join(dir, name), b, false); err != nil {
			return err
		}
	}
	return nil
}

// npyBytes builds a .npy file (format 1.0) as numpy writes it (npzfile.NPY).
func npyBytes(descr string, fortran bool, shape []int, payload []byte) []byte {
	return npzfile.NPY(descr, fortran, shape, payload)
}

// WriteNPZ writes images x (n×c×h×w, uint8 or float32) and int64 labels y as "x.npy" and
// "y.npy" in an uncompressed .npz, as numpy.savez(path, x=x, y=y) does.
func WriteNPZ(path string, x any, n, c, h, w int, labels []int64) error {
	var descr string
	var px []byte
	switch v := x.(type) {
	case []uint8:
		descr, px = "|u1", v
	case []float32:
		descr = "<f4"
		for _, f := range v {
			px = binary.LittleEndian.AppendUint32(px, math.Float32bits(f))
		}
	default:
		return fmt.Errorf("data: WriteNPZ: images of type %T, want []uint8 or []float32", x)
	}
	size := 1
	if descr == "<f4" {
		size = 4
	}
	if len(px) != size*n*c*h*w || len(labels) != n {
		return fmt.Errorf("data: WriteNPZ: %d image bytes and %d labels for %d×%d×%d×%d", len(px), len(labels), n, c, h, w)
	}
	var y []byte
	for _, l := range labels {
		y = binary.LittleEndian.AppendUint64(y, uint64(l))
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, m := range []struct {
		name string
		data []byte
	}{{"x.npy", npyBytes(descr, false, []int{n, c, h, w}, px)}, {"y.npy", npyBytes("<i8", false, []int{n}, y)}} {
		f, err := z.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		if err != nil {
			return err
		}
		f.Write(m.data)
	}
	if err := z.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
