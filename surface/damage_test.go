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

// A surface file of format 1 (as landscape wrote them before format 2, through npyio: members
// named without ".npy", 2-D grids) with one bit flipped in any member is refused the same way.
func TestLoadRefusesDamagedFormat1(t *testing.T) {
	s := testSurface(3, 4)
	for _, member := range []string{s.Split + "_loss", s.Split + "_acc", "computed", "xcoordinates", "ycoordinates", "settings"} {
		path := filepath.Join(t.TempDir(), "s1.npz")
		if err := s.SaveFormat1(path); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err != nil {
			t.Fatalf("intact format-1 file: %v", err)
		}
		flipInMember(t, path, member)
		_, err := Load(path)
		if !IsDamaged(err) || !strings.Contains(err.Error(), "s1.npz: "+member) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s flipped: got %v, want a damaged-file error naming the member", member, err)
		}
	}
}
