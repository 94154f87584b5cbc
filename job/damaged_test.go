package job

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A damaged surface file is not resumed: scan stops before computing anything, says the file
// is damaged and how to go on, and leaves the file as it was.
func TestDamagedFileNotResumed(t *testing.T) {
	spec, _ := fixture(t, 3, 2)
	runScan(t, spec)
	flipByte(t, spec.Out, "test_loss")
	b, err := os.ReadFile(spec.Out)
	if err != nil {
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

// flipByte flips one bit in the middle of member's data in the archive at path.
func flipByte(t *testing.T, path, member string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range z.File {
		if strings.TrimSuffix(m.Name, ".npy") == member {
			off, _ := m.DataOffset()
			b[off+int64(m.CompressedSize64)/2] ^= 1
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// What the damaged-file error tells a user to do works: a damaged merged file is refused
// (not overwritten), a damaged shard is named; once the damaged merge is moved aside, merging
// the intact shards gives the whole scan again.
func TestDamagedMergeRebuiltFromShards(t *testing.T) {
	dir := t.TempDir()
	whole := wholeSurface(t)
	out := filepath.Join(dir, "full.npz")
	var paths []string
	for i := range 3 {
		p := ShardPath(out, i)
		if err := shardOf(whole, Shard{I: i, N: 3}).Save(p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if _, _, err := MergeFiles(out, paths); err != nil {
		t.Fatal(err)
	}
	flipByte(t, out, "computed")
	damaged, _ := os.ReadFile(out)
	if _, _, err := MergeFiles(out, paths); err == nil || !strings.Contains(err.Error(), "computed: CRC mismatch, the file is damaged") || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("merge into a damaged --out: %v", err)
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, damaged) {
		t.Error("the damaged --out was overwritten")
	}
	if err := os.Rename(out, out+".damaged"); err != nil {
		t.Fatal(err)
	}
	got, _, err := MergeFiles(out, paths)
	if err != nil {
		t.Fatal(err)
	}
	sameSurface(t, got, whole)
	flipByte(t, paths[1], "test_loss")
	if _, _, err := MergeFiles(filepath.Join(dir, "again.npz"), paths); err == nil || !strings.Contains(err.Error(), paths[1]+": test_loss: CRC mismatch") {
		t.Errorf("a damaged shard: %v", err)
	}
}
