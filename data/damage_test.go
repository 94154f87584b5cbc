package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/internal/npzfile"
)

// An image whose header claims more pixels than its file can hold is refused before the
// decoder allocates them (a 65536×65536 PNG of 70 bytes would take 4 GiB).
func TestImageClaimingTooManyPixels(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	for _, s := range imageSeeds() {
		if s.Name != "huge-claim-png" {
			continue
		}
		os.WriteFile(filepath.Join(root, "a", "x.png"), s.Args[0].([]byte), 0o644)
		if _, err := Load("imagefolder:"+root, Options{}); err == nil || !strings.Contains(err.Error(), "65536x65536 pixels, more than") {
			t.Errorf("got %v, want a too-many-pixels error", err)
		}
		return
	}
	t.Fatal("no huge-claim-png seed")
}

// --data npz:FILE with one bit flipped in the image data is refused (numpy.load refuses it
// too), not read into slightly different losses.
func TestNPZDataBitFlip(t *testing.T) {
	for _, s := range npzDataSeeds(t) {
		if s.Name != "crc-flipped" {
			continue
		}
		path := filepath.Join(t.TempDir(), "d.npz")
		os.WriteFile(path, s.Args[0].([]byte), 0o644)
		_, err := Load("npz:"+path, Options{Split: "test"})
		if !errors.Is(err, npzfile.ErrDamaged) || !strings.Contains(err.Error(), "d.npz: x.npy: CRC mismatch, the file is damaged") {
			t.Errorf("got %v, want a CRC mismatch of x.npy", err)
		}
		return
	}
	t.Fatal("no crc-flipped seed")
}

// A gzipped IDX file (train-images-idx3-ubyte.gz, as the MNIST mirrors serve them) with one
// bit flipped in its compressed data is refused: gzip's CRC-32 and length trailer is checked
// (the reader reads to the end), and the error names the file.
func TestGzipIDXBitFlip(t *testing.T) {
	px := make([]uint8, 3*8*8)
	for i := range px {
		px[i] = uint8(i * 7)
	}
	for _, member := range []string{"images-idx3-ubyte", "labels-idx1-ubyte"} {
		dir := t.TempDir()
		if err := WriteIDX(dir, "test", px, []uint8{1, 2, 3}, 3, 8, 8, true); err != nil {
			t.Fatal(err)
		}
		if _, err := Load("mnist:"+dir, Options{Split: "test"}); err != nil {
			t.Fatalf("intact files: %v", err)
		}
		path := filepath.Join(dir, "t10k-"+member+".gz")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// every byte, but those where the flip leaves the decompressed bytes as they were
		// (the gzip header's OS field, deflate's padding bits: no damage to the data)
		damaged := 0
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0x10
			if gunzipsTo(c, b) {
				continue
			}
			damaged++
			os.WriteFile(path, c, 0o644)
			if _, err = Load("mnist:"+dir, Options{Split: "test"}); err == nil {
				t.Fatalf("%s with byte %d of %d flipped: loaded", member, i, len(b))
			}
		}
		if damaged < len(b)/2 {
			t.Fatalf("%s: only %d of %d flips damage the data", member, damaged, len(b))
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s flipped: %v, want an error naming the file", member, err)
		}
	}
}

// gunzipsTo reports whether c decompresses, without error, to what gz decompresses to.
func gunzipsTo(c, gz []byte) bool {
	read := func(b []byte) ([]byte, error) {
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	want, _ := read(gz)
	got, err := read(c)
	return err == nil && bytes.Equal(got, want)
}
