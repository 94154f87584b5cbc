package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"landscape/internal/testenv"
)

// numpyScript writes npz files with numpy.savez and numpy.savez_compressed, and the float32
// pixels torchvision computes for them (ToTensor's x/255, then Normalize's (x − mean)/std, both
// in float32) as raw little-endian files, with the labels as text.
const numpyScript = `
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
N, C, H, W = 5, 3, 4, 6  # non-square
mean, std = np.float32([0.4914, 0.4822, 0.4465]), np.float32([0.247, 0.243, 0.261])
x8 = rng.integers(0, 256, (N, C, H, W), dtype=np.uint8)
xf = rng.normal(size=(N, C, H, W)).astype(np.float32)
y = rng.integers(0, 10, N)
np.savez(out + "/split.npz", x_train=x8, y_train=y.astype(np.int64), x_test=x8[:2], y_test=y[:2].astype(np.uint8))
np.savez_compressed(out + "/plain.npz", x=np.asfortranarray(x8), y=y.astype(np.int32).reshape(N, 1))
np.savez(out + "/float.npz", x=xf, y=y.astype(np.uint16))
np.savez_compressed(out + "/float64.npz", x=xf.astype(np.float64), y=y.astype(np.int8))
((x8.astype(np.float32) / np.float32(255) - mean[:, None, None]) / std[:, None, None]).astype("<f4").tofile(out + "/x8_norm.f32")
(x8.astype(np.float32) / np.float32(255)).astype("<f4").tofile(out + "/x8_raw.f32")
((xf - mean[:, None, None]) / std[:, None, None]).astype("<f4").tofile(out + "/xf_norm.f32")
open(out + "/y.txt", "w").write(str(list(y)).replace(",", ""))
`

// TestNPZNumpy reads files numpy wrote (plain and compressed; split and plain keys; uint8,
// float32 and float64 images; int64, uint8, int32 (N, 1), uint16 and int8 labels; Fortran
// order) and compares the pixels bit for bit with what numpy computes as torchvision does.
func TestNPZNumpy(t *testing.T) {
	testenv.Python(t, "numpy")
	dir := t.TempDir()
	runPython(t, numpyScript, dir)
	f32 := func(name string) []float32 {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v
	}
	yb, _ := os.ReadFile(filepath.Join(dir, "y.txt"))
	norm, err := ParseStats("0.4914,0.4822,0.4465:0.247,0.243,0.261")
	if err != nil {
		t.Fatal(err)
	}
	const per = 3 * 4 * 6
	for _, tc := range []struct {
		file, split string
		opt         Options
		want        []float32
		n           int
	}{
		{"split.npz", "train", Options{Normalize: norm}, f32("x8_norm.f32"), 5},
		{"split.npz", "test", Options{Normalize: norm}, f32("x8_norm.f32")[:2*per], 2},
		{"plain.npz", "test", Options{}, f32("x8_raw.f32"), 5},
		{"plain.npz", "train", Options{Normalize: norm, Limit: 3}, f32("x8_norm.f32")[:3*per], 3},
		{"float.npz", "train", Options{Normalize: norm}, f32("xf_norm.f32"), 5},
		{"float64.npz", "train", Options{Normalize: norm}, f32("xf_norm.f32"), 5},
	} {
		tc.opt.Split = tc.split
		s, err := Load("npz:"+filepath.Join(dir, tc.file), tc.opt)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.file, tc.split, err)
		}
		if s.N != tc.n || s.C != 3 || s.H != 4 || s.W != 6 || len(s.Images) != len(tc.want) {
			t.Fatalf("%s %s: N C H W = %d %d %d %d, want %d 3 4 6", tc.file, tc.split, s.N, s.C, s.H, s.W, tc.n)
		}
		for i := range tc.want {
			if s.Images[i] != tc.want[i] {
				t.Fatalf("%s %s: pixel %d = %v, numpy gives %v", tc.file, tc.split, i, s.Images[i], tc.want[i])
			}
		}
		var ys [5]int32
		fmt.Sscanf(string(yb), "[%d %d %d %d %d]", &ys[0], &ys[1], &ys[2], &ys[3], &ys[4])
		all := ys[:tc.n]
		if fmt.Sprint(s.Labels) != fmt.Sprint(all) {
			t.Fatalf("%s %s: labels %v, want %v", tc.file, tc.split, s.Labels, all)
		}
	}
}
