package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// WriteIDX writes n images of h×w bytes and their labels as IDX files in dir
// (created if needed): train-images-idx3-ubyte and train-labels-idx1-ubyte
// for split "train", t10k-... for split "test", each with a .gz suffix and
// gzip-compressed when gzipped is true.
func WriteIDX(dir, split string, images []uint8, labels []uint8, n, h, w int, gzipped bool) error {
	if split != "train" && split != "test" {
		return fmt.Errorf("data: WriteIDX: split %q, want train or test", split)
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
