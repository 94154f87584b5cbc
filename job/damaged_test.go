package job

import (
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"
)

// A damaged surface file is not resumed: scan stops before computing anything, says the file
// is damaged and how to go on, and leaves the file as it was.
func TestDamagedFileNotResumed(t *testing.T) {
	spec, _ := fixture(t, 3, 2)
	runScan(t, spec)
	b, err := os.ReadFile(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range z.File {
		if strings.HasPrefix(m.Name, "test_loss") {
			off, _ := m.DataOffset()
			b[off+int64(m.CompressedSize64)/2] ^= 1
		}
	}
	if err := os.WriteFile(spec.Out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = PrepareScan(spec)
	for _, want := range []string{spec.Out + ": test_loss", "damaged", "mv " + spec.Out, "landscape merge --out " + spec.Out} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q in it", err, want)
		}
	}
	if after, _ := os.ReadFile(spec.Out); !bytes.Equal(after, b) {
		t.Error("the damaged file was changed")
	}
}
