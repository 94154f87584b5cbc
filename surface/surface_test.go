package surface

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"landscape/internal/testenv"
)

func TestParseAxis(t *testing.T) {
	a, err := ParseAxis("--x", "-1:1:5")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Coords(), []float64{-1, -0.5, 0, 0.5, 1}; !slices.Equal(got, want) {
		t.Errorf("coords %v, want %v", got, want)
	}
	if c := (Axis{Min: 0.3, Max: 0.3, Num: 1}).Coords(); !slices.Equal(c, []float64{0.3}) {
		t.Errorf("single coord %v", c)
	}
	for _, bad := range []string{"", "1:2", "a:1:3", "-1:1:0", "1:-1:3", "-1:1:x", "0:0:3"} {
		if _, err := ParseAxis("--y", bad); err == nil || !strings.Contains(err.Error(), "--y") {
			t.Errorf("ParseAxis(%q) error %v, want one naming --y", bad, err)
		}
	}
}

func TestLinspaceMatchesNumpy(t *testing.T) {
	// numpy.linspace(-1, 1, 51)[7] == -0.72 and [-1] == 1 exactly; step arithmetic as numpy's.
	c := Axis{Min: -1, Max: 1, Num: 51}.Coords()
	if c[7] != -1+7*(2.0/50) || c[50] != 1 || c[25] != 0 {
		t.Errorf("linspace values %v %v %v", c[7], c[50], c[25])
	}
}

func TestIndexing(t *testing.T) {
	s := New(Axis{Min: 0, Max: 2, Num: 3}, Axis{Min: 10, Max: 11, Num: 2}, "test", Settings{})
	if s.Len() != 6 {
		t.Fatalf("len %d", s.Len())
	}
	for k := range s.Len() {
		i, j := s.IJ(k)
		if s.Index(i, j) != k || k != j*3+i {
			t.Errorf("k=%d → (%d,%d) → %d", k, i, j, s.Index(i, j))
		}
		if a, b := s.Coord(k); a != s.X[i] || b != s.Y[j] {
			t.Errorf("Coord(%d) = %v,%v want %v,%v", k, a, b, s.X[i], s.Y[j])
		}
	}
	if a, b := s.Coord(4); a != 1 || b != 11 { // k = 1·3 + 1: x_1 = 1, y_1 = 11
		t.Errorf("Coord(4) = %v, %v", a, b)
	}
	one := New(Axis{Min: 0, Max: 1, Num: 2}, Axis{}, "test", Settings{})
	if i, j := one.IJ(1); one.Index(1, 0) != 1 || i != 1 || j != 0 {
		t.Errorf("1D indexing")
	}
}

// value is the test surface's loss at (x, y): distinct everywhere, so any transposition shows.
func value(x, y float64) float64 { return 1 + 3*x + 0.25*y + x*y }

func testSurface(nx, ny int) *Surface {
	x := Axis{Min: -1, Max: 1, Num: nx}
	y := Axis{Min: 0, Max: 2, Num: ny}
	s := New(x, y, "train", Settings{Format: Format, Numerics: Numerics, Model: "resnet20", Norm: "filter", X: x.String(), Engine: "cpu", Precision: "fp32"})
	if ny > 0 {
		s.Settings.Y = y.String()
	}
	for k := range s.Len() {
		if k%3 == 2 {
			continue // left not computed
		}
		a, b := s.Coord(k)
		s.Set(k, value(a, b), 50+a)
		s.ExtraArray("max_eig")[k] = 10 * value(a, b)
	}
	if s.Len() > 1 {
		s.Set(1, math.Inf(1), 10) // diverged
	}
	return s
}

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func checkEqual(t *testing.T, what string, got, want *Surface) {
	t.Helper()
	if !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) || got.Split != want.Split {
		t.Fatalf("%s: axes or split changed: %v %v %q", what, got.X, got.Y, got.Split)
	}
	for k := range want.Len() {
		if !same(got.Loss[k], want.Loss[k]) || !same(got.Acc[k], want.Acc[k]) || got.Computed[k] != want.Computed[k] {
			t.Fatalf("%s: point %d: got %v %v %v, want %v %v %v", what, k, got.Loss[k], got.Acc[k], got.Computed[k], want.Loss[k], want.Acc[k], want.Computed[k])
		}
		for key, w := range want.Extra {
			if g := got.Extra[key]; g == nil || !same(g[k], w[k]) {
				t.Fatalf("%s: extra %q point %d: got %v, want %v", what, key, k, g, w[k])
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, ny := range []int{0, 4} {
		s := testSurface(3, ny)
		path := filepath.Join(t.TempDir(), "s.npz")
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
		r, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, fmt.Sprintf("ny=%d", ny), r, s)
		if r.Settings != s.Settings {
			t.Errorf("settings %+v, want %+v", r.Settings, s.Settings)
		}
		if got := len(r.Missing()); got != len(s.Missing()) || got == 0 {
			t.Errorf("missing %d", got)
		}
	}
}

// python runs a numpy script with /usr/bin/python3 (testenv.Python: it skips or fails the test
// where numpy is missing) and fails the test on error.
func python(t *testing.T, script string, args ...string) string {
	t.Helper()
	py := testenv.Python(t, "numpy")
	out, err := exec.Command(py, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return string(out)
}

// TestNumpyReadsMeshgridOrder checks, in numpy, that a non-square surface file has Z[j, i] at
// (x_i, y_j) with shape (ny, nx), as plt.contour(x, y, Z) and the paper's plot_2D.py expect.
func TestNumpyReadsMeshgridOrder(t *testing.T) {
	s := testSurface(5, 3)
	path := filepath.Join(t.TempDir(), "s.npz")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	out := python(t, `
import numpy as np, sys, json
z = np.load(sys.argv[1])
x, y, Z = z["xcoordinates"], z["ycoordinates"], z["train_loss"]
X, Y = np.meshgrid(x, y)
want = 1 + 3*X + 0.25*Y + X*Y
m = z["computed"].astype(bool) & np.isfinite(Z)
print(Z.shape, z["computed"].shape, z["max_eig"].shape, json.loads(str(z["settings"]))["format"],
      bool(np.allclose(Z[m], want[m], rtol=0, atol=1e-12)), bool(np.allclose(z["max_eig"][m], 10*want[m])), int(m.sum()))`, path)
	want := fmt.Sprintf("(3, 5) (3, 5) (3, 5) 2 True True %d", s.Len()-len(s.Missing())-1)
	if strings.TrimSpace(out) != want {
		t.Errorf("numpy reads %q, want %q", strings.TrimSpace(out), want)
	}
}

// TestLoadNumpyWritten reads files numpy itself wrote from a surface a user filtered: losses
// above 3 set to NaN, accuracy as float32, computed as booleans, a Fortran-ordered extra array,
// with np.savez and np.savez_compressed.
func TestLoadNumpyWritten(t *testing.T) {
	dir := t.TempDir()
	s := testSurface(5, 3)
	path := filepath.Join(dir, "s.npz")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	python(t, `
import numpy as np, sys
d = dict(np.load(sys.argv[1]))
d["train_loss"][d["train_loss"] > 3] = np.nan
d["train_acc"] = d["train_acc"].astype(np.float32)
d["computed"] = d["computed"].astype(bool)
d["max_eig"] = np.asfortranarray(d["max_eig"])
np.savez(sys.argv[2], **d)
np.savez_compressed(sys.argv[3], **d)`, path, filepath.Join(dir, "plain.npz"), filepath.Join(dir, "compressed.npz"))
	want := testSurface(5, 3)
	for k, v := range want.Loss {
		if v > 3 {
			want.Loss[k] = math.NaN()
		}
		want.Acc[k] = float64(float32(want.Acc[k]))
	}
	for _, name := range []string{"plain.npz", "compressed.npz"} {
		r, err := Load(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkEqual(t, name, r, want)
		if r.Settings != s.Settings {
			t.Errorf("%s: settings %+v, want %+v", name, r.Settings, s.Settings)
		}
	}
}

func TestLoadFormat1(t *testing.T) {
	for _, ny := range []int{3, 0} {
		s := testSurface(5, ny)
		delete(s.Extra, "max_eig")
		path := filepath.Join(t.TempDir(), "old.npz")
		if err := s.SaveFormat1(path); err != nil {
			t.Fatal(err)
		}
		r, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "format 1", r, s)
		if r.Settings.Format != 1 || r.Settings.Numerics != 1 || r.Settings.Engine != "cpu" {
			t.Errorf("format-1 settings read as format %d numerics %d engine %q", r.Settings.Format, r.Settings.Numerics, r.Settings.Engine)
		}
		// Saved again, it is format 2 with the same points.
		if err := r.Save(path); err != nil {
			t.Fatal(err)
		}
		r2, err := Load(path)
		if err != nil || r2.Settings.Format != 2 {
			t.Fatalf("resaved: %v, format %d", err, r2.Settings.Format)
		}
		checkEqual(t, "format 1 resaved", r2, s)
	}
}

// The format-1 fixture is what landscape wrote before format 2: numpy sees [i, j] at (x_i, y_j),
// shape (nx, ny), and no format key.
func TestFormat1FixtureLayout(t *testing.T) {
	s := testSurface(5, 3)
	path := filepath.Join(t.TempDir(), "old.npz")
	if err := s.SaveFormat1(path); err != nil {
		t.Fatal(err)
	}
	out := python(t, `
import numpy as np, sys, json
z = np.load(sys.argv[1])
x, y, Z = z["xcoordinates"], z["ycoordinates"], z["train_loss"]
X, Y = np.meshgrid(x, y, indexing="ij")
want = 1 + 3*X + 0.25*Y + X*Y
m = z["computed"].astype(bool) & np.isfinite(Z)
print(Z.shape, "format" in json.loads(str(z["settings"])), bool(np.allclose(Z[m], want[m], rtol=0, atol=1e-12)), int(m.sum()))`, path)
	want := fmt.Sprintf("(5, 3) False True %d", s.Len()-len(s.Missing())-1)
	if strings.TrimSpace(out) != want {
		t.Errorf("numpy reads the format-1 fixture as %q, want %q", strings.TrimSpace(out), want)
	}
}

func TestLoadForeign(t *testing.T) {
	dir := t.TempDir()
	x, y := []float64{0, 1, 2}, []float64{5, 6}
	// Z[j, i] = 10·j + i in both layouts a foreign file may have.
	zji := mat.NewDense(2, 3, []float64{0, 1, 2, 10, 11, 12})
	zij := mat.DenseCopyOf(zji.T())
	for name, z := range map[string]*mat.Dense{"ji.npz": zji, "ij.npz": zij} {
		p := filepath.Join(dir, name)
		if err := npz.Write(p, map[string]any{"xcoordinates": x, "ycoordinates": y, "train_loss": z, "train_acc": z,
			"test_loss": z, "test_acc": z, "settings": []int64{1}}); err != nil {
			t.Fatal(err)
		}
		s, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Split != "train" || s.Extra["test_loss"] == nil {
			t.Fatalf("%s: split %q, extra %v", name, s.Split, s.Extra)
		}
		for i := range 3 {
			for j := range 2 {
				if got := s.Loss[s.Index(i, j)]; got != float64(10*j+i) {
					t.Errorf("%s: loss at (x_%d, y_%d) = %v, want %d", name, i, j, got, 10*j+i)
				}
			}
		}
		if err := s.SelectSplit("test"); err != nil || s.Split != "test" || s.Extra["train_loss"] == nil {
			t.Errorf("%s: SelectSplit: %v", name, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: %v", err)
	}
	s := testSurface(3, 2)
	js, _ := json.Marshal(map[string]any{"model": "m", "format": 3})
	p := filepath.Join(dir, "future.npz")
	if err := npz.Write(p, map[string]any{"xcoordinates": s.X, "ycoordinates": s.Y, "train_loss": mat.NewDense(2, 3, nil),
		"train_acc": mat.NewDense(2, 3, nil), "settings": string(js)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "format 3") || !strings.Contains(err.Error(), "future.npz") {
		t.Errorf("format 3: %v", err)
	}
	p = filepath.Join(dir, "shape.npz")
	if err := npz.Write(p, map[string]any{"xcoordinates": s.X, "ycoordinates": s.Y, "train_loss": mat.NewDense(2, 3, nil),
		"train_acc": mat.NewDense(2, 3, nil), "computed": []uint8{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), `"computed" has shape (2,), want (2, 3)`) {
		t.Errorf("computed shape: %v", err)
	}
	s.Extra["train_loss"] = make([]float64, s.Len())
	if _, err := s.Encode(); err == nil || !strings.Contains(err.Error(), "train_loss") {
		t.Errorf("extra named like the loss: %v", err)
	}
}

func TestSettingsDiff(t *testing.T) {
	a := Settings{Model: "vgg9", Weights: "/a", WeightsSHA256: "1", Norm: "filter", Format: 1}
	b := a
	b.Weights, b.Format = "/b", 2 // paths and format alone do not matter
	if d := a.Diff(b); len(d) != 0 {
		t.Errorf("diff %v", d)
	}
	b.Norm, b.WeightsSHA256, b.Shard = "layer", "2", "1/4"
	if d := a.Diff(b); len(d) != 3 || !strings.Contains(strings.Join(d, ";"), "norm: filter in the file, layer now") {
		t.Errorf("diff %v", d)
	}
	if d := a.Diff(b, "shard"); len(d) != 2 {
		t.Errorf("diff ignoring the shard %v", d)
	}
}

func TestCheckResume(t *testing.T) {
	file := Settings{Model: "vgg9", Numerics: Numerics, Engine: "gpu", Precision: "fp32"}
	now := file
	if err := file.CheckResume("f.npz", now); err != nil {
		t.Errorf("same settings: %v", err)
	}
	now.Engine = "cpu"
	if err := file.CheckResume("f.npz", now); err == nil || !strings.Contains(err.Error(), "engine: its points were computed on gpu") || !strings.Contains(err.Error(), "f.npz") {
		t.Errorf("engine mismatch: %v", err)
	}
	mixed := file
	mixed.Engine = MixEngines("gpu", "cpu")
	if mixed.Engine != "cpu+gpu" {
		t.Fatalf("MixEngines %q", mixed.Engine)
	}
	if err := mixed.CheckResume("f.npz", now); err != nil {
		t.Errorf("a mixed file resumed on the cpu: %v", err)
	}
	now.Numerics = Numerics + 1
	if err := mixed.CheckResume("f.npz", now); err == nil || !strings.Contains(err.Error(), "numerics version") {
		t.Errorf("numerics mismatch: %v", err)
	}
}
