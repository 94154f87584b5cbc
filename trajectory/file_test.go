package trajectory

import (
	"archive/zip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/internal/npzfile"
)

func f4s(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// A path file numpy rewrote with float32 vectors (np.savez_compressed(f, **{k: v.astype(
// np.float32)})) loads; one with a bit flipped is refused as damaged.
func TestLoadPathFloat32AndDamaged(t *testing.T) {
	vec := func(k string, v ...float32) npzfile.Member {
		return npzfile.Member{Name: k + ".npy", Data: npzfile.NPY("<f4", false, []int{len(v)}, f4s(v...))}
	}
	b := npzfile.Zip(zip.Store, vec("proj_xcoord", 0.5, 1), vec("proj_ycoord", -2, 3),
		vec("explained_variance_ratio", 0.75, 0.25), vec("explained_variance", 3, 1))
	path := filepath.Join(t.TempDir(), "p.npz")
	os.WriteFile(path, b, 0o644)
	p, err := LoadPath(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.ProjX, []float64{0.5, 1}) || !slices.Equal(p.ProjY, []float64{-2, 3}) || p.ExplainedVarianceRatio[0] != 0.75 {
		t.Errorf("read %+v", p)
	}
	b[len(b)/3] ^= 2 // inside proj_ycoord's member
	os.WriteFile(path, b, 0o644)
	if _, err := LoadPath(path); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a flipped bit: got %v, want a damaged-file error", err)
	}
}
