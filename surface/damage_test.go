package surface

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FlipInMember flips one bit in the middle of member's stored data in the archive at path,
// as a damaged disk or transfer would; it returns the member's name.
func flipInMember(t testing.TB, path, member string) {
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
		if strings.TrimSuffix(m.Name, ".npy") != member {
			continue
		}
		off, err := m.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		b[off+int64(m.CompressedSize64)/2] ^= 0x08
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s has no member %s", path, member)
}

// A surface file with one bit flipped in any of its arrays is refused as damaged, naming the
// member, whichever array it is (also one Load would not otherwise read as a grid array).
func TestLoadRefusesDamagedFile(t *testing.T) {
	for _, member := range []string{"train_loss", "computed", "xcoordinates", "max_eig", "settings"} {
		path := filepath.Join(t.TempDir(), "s.npz")
		if err := testSurface(3, 4).Save(path); err != nil {
			t.Fatal(err)
		}
		flipInMember(t, path, member)
		_, err := Load(path)
		if !IsDamaged(err) || !strings.Contains(err.Error(), "s.npz: "+member) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s flipped: got %v, want a damaged-file error naming the member", member, err)
		}
	}
}
