package data

import (
	"errors"
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
