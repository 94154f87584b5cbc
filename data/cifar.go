package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	cifarPixels = 3 * 32 * 32
	cifarRecord = 1 + cifarPixels // label byte then CHW pixels
)

// cifarFiles lists the binary CIFAR-10 files of a split in reading order.
func cifarFiles(split string) []string {
	if split == "test" {
		return []string{"test_batch.bin"}
	}
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// loadCIFAR reads the binary CIFAR-10 files of one split, opening no file
// beyond the one that reaches opt.Limit and reading no more of it than needed.
func loadCIFAR(dir, split string, opt Options) (*Set, error) {
	// First pass: check sizes and count how many records each file gives.
	var paths []string
	var take []int
	total := 0
	for _, name := range cifarFiles(split) {
		if opt.Limit > 0 && total >= opt.Limit {
			break
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("data: cifar10 %s split: %s does not exist", split, p)
		} else if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		size := fi.Size()
		if size == 0 || size%cifarRecord != 0 {
			return nil, fmt.Errorf("data: %s: size %d bytes, want a non-zero multiple of %d (1 label byte + %d pixel bytes per record)", p, size, cifarRecord, cifarPixels)
		}
		k := int(size / cifarRecord)
		if opt.Limit > 0 && total+k > opt.Limit {
			k = opt.Limit - total
		}
		paths, take = append(paths, p), append(take, k)
		total += k
	}
	s := &Set{N: total, C: 3, H: 32, W: 32, Classes: 10,
		Images: make([]float32, total*cifarPixels), Labels: make([]int32, total)}
	st, err := statsFor("cifar10", opt)
	if err != nil {
		return nil, err
	}
	tab, err := tables(st, 3)
	if err != nil {
		return nil, err
	}
	s.Black = blackLevels(tab)
	buf := make([]byte, 0)
	at := 0
	for f, p := range paths {
		n := take[f] * cifarRecord
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if err := readPrefix(p, buf[:n]); err != nil {
			return nil, err
		}
		for r := range take[f] {
			rec := buf[r*cifarRecord : (r+1)*cifarRecord]
			if rec[0] >= 10 {
				return nil, fmt.Errorf("data: %s: label %d of record %d out of range, want 0..9", p, rec[0], r)
			}
			s.Labels[at] = int32(rec[0])
			img := s.Image(at)
			for c := range 3 {
				convert(img[c*1024:(c+1)*1024], rec[1+c*1024:1+(c+1)*1024], &tab[c])
			}
			at++
		}
	}
	return s, nil
}

// readPrefix fills buf from the start of the file at path.
func readPrefix(path string, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("data: %s: reading %d bytes: %w", path, len(buf), err)
	}
	return nil
}
