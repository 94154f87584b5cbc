package trajectory

import (
	"archive/zip"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/internal/npzfile"
	"landscape/internal/testenv"
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

// A path file numpy rewrote (np.savez_compressed, every array as float32) loads, with the
// float32 values.
func TestLoadPathNumpyRewritten(t *testing.T) {
	py := testenv.Python(t, "numpy")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "p.npz"), filepath.Join(dir, "p32.npz")
	b, err := (&Path{ProjX: []float64{0.1, 0.2}, ProjY: []float64{-1, 1}, ExplainedVarianceRatio: []float64{0.6, 0.3}, ExplainedVariance: []float64{6, 3}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(src, b, 0o644)
	out, err := exec.Command(py, "-c", `import sys, numpy as np
z = np.load(sys.argv[1])
np.savez_compressed(sys.argv[2], **{k: z[k].astype(np.float32) for k in z.files})`, src, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	p, err := LoadPath(dst)
	if err != nil {
		t.Fatal(err)
	}
	if p.ProjX[0] != float64(float32(0.1)) || p.ProjY[1] != 1 || len(p.ExplainedVariance) != 2 {
		t.Errorf("read %+v", p)
	}
}
