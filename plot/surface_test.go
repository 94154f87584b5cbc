package plot

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"landscape/surface"
)

// Test surfaces: a paraboloid with its minimum at x = -1 (so the loss
// increases with x over [-1, 1]) on a non-square grid, accuracy 100-5·loss.
const tnx, tny = 31, 25

func linspace(a, b float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return v
}

func paraboloid(x, y float64) float64 { return 0.1 + 2*(x+1)*(x+1) + 4*y*y }

// masked are the grid nodes set to NaN and +Inf in the test surface.
var maskedNaN, maskedInf = [2]int{3, 1}, [2]int{20, tny - 2}

// writeSurface2D writes a 2D test surface (train and test splits, a
// "settings" key) to dir/name and returns its path.
func writeSurface2D(t *testing.T, dir, name string, masked bool) string {
	t.Helper()
	x, y := linspace(-1, 1, tnx), linspace(-1, 1, tny)
	loss, acc := mat.NewDense(tnx, tny, nil), mat.NewDense(tnx, tny, nil)
	for i := range tnx {
		for j := range tny {
			l := paraboloid(x[i], y[j])
			loss.Set(i, j, l)
			acc.Set(i, j, 100-5*l)
		}
	}
	if masked {
		loss.Set(maskedNaN[0], maskedNaN[1], math.NaN())
		loss.Set(maskedInf[0], maskedInf[1], math.Inf(1))
	}
	test := mat.DenseCopyOf(loss)
	test.Scale(1.5, test)
	path := filepath.Join(dir, name)
	err := npz.Write(path, map[string]any{
		"xcoordinates": x, "ycoordinates": y,
		"train_loss": loss, "train_acc": acc,
		"test_loss": test, "test_acc": acc,
		"settings": []int64{1, 2, 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSurface1D writes a 1D test surface (test split only, numpy-style
// ".npy" entry names) with a NaN and an Inf.
func writeSurface1D(t *testing.T, dir, name string, scale float64) string {
	t.Helper()
	x := linspace(-1, 1, 41)
	loss, acc := make([]float64, len(x)), make([]float64, len(x))
	for i, v := range x {
		loss[i] = scale * (0.05 + 3*v*v)
		acc[i] = 100 - 20*v*v*scale
	}
	loss[5], loss[35], acc[5] = math.NaN(), math.Inf(1), math.NaN()
	path := filepath.Join(dir, name)
	err := npz.Write(path, map[string]any{
		"xcoordinates.npy": x, "test_loss.npy": loss, "test_acc.npy": acc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSurface2D(t *testing.T) {
	path := writeSurface2D(t, t.TempDir(), "s.npz", true)
	s, err := readSurface(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Is2D || s.Split != "train" || s.OtherSplit != "test" || len(s.X) != tnx || len(s.Y) != tny {
		t.Fatalf("got Is2D=%v split=%q other=%q %d×%d", s.Is2D, s.Split, s.OtherSplit, len(s.X), len(s.Y))
	}
	for i := range tnx {
		for j := range tny {
			k := i*tny + j
			want := paraboloid(s.X[i], s.Y[j])
			switch [2]int{i, j} {
			case maskedNaN:
				if !math.IsNaN(s.Loss[k]) {
					t.Errorf("loss[%d,%d] = %v, want NaN", i, j, s.Loss[k])
				}
			case maskedInf:
				if !math.IsInf(s.Loss[k], 1) {
					t.Errorf("loss[%d,%d] = %v, want +Inf", i, j, s.Loss[k])
				}
			default:
				if math.Abs(s.Loss[k]-want) > 1e-12 || math.Abs(s.OtherLoss[k]-1.5*want) > 1e-12 {
					t.Fatalf("loss[%d,%d] = %v, test %v; want %v", i, j, s.Loss[k], s.OtherLoss[k], want)
				}
			}
			if math.Abs(s.Acc[k]-(100-5*want)) > 1e-9 {
				t.Fatalf("acc[%d,%d] = %v, want %v", i, j, s.Acc[k], 100-5*want)
			}
		}
	}
	ts, err := readSurfaceSplit(path, "test")
	if err != nil || ts.Split != "test" || ts.Loss[tny] != s.OtherLoss[tny] || ts.OtherSplit != "" {
		t.Fatalf("ReadSurfaceSplit test: %v, %+v", err, ts)
	}
}

func TestReadSurface1D(t *testing.T) {
	s, err := readSurface(writeSurface1D(t, t.TempDir(), "s.npz", 1))
	if err != nil {
		t.Fatal(err)
	}
	if s.Is2D || s.Split != "test" || len(s.Loss) != 41 || len(s.Acc) != 41 || s.Y != nil {
		t.Fatalf("got %+v", s)
	}
	if s.Loss[20] != 0.05 || !math.IsNaN(s.Loss[5]) || !math.IsInf(s.Loss[35], 1) {
		t.Fatalf("loss values %v %v %v", s.Loss[20], s.Loss[5], s.Loss[35])
	}
}

// npyFortran encodes a 2D float64 array stored column-major.
func npyFortran(rows, cols int, rowMajor []float64) []byte {
	hdr := fmt.Sprintf("{'descr': '<f8', 'fortran_order': True, 'shape': (%d, %d), }", rows, cols)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	b = append(b, hdr...)
	for j := range cols {
		for i := range rows {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(rowMajor[i*cols+j]))
		}
	}
	return b
}

func TestReadSurfaceFortranOrder(t *testing.T) {
	// Coordinates through npz.Write, then the zip is copied with the 2D
	// arrays added in Fortran order (as numpy may save a transposed view).
	path := filepath.Join(t.TempDir(), "f.npz")
	if err := npz.Write(path, map[string]any{"xcoordinates": []float64{0, 1}, "ycoordinates": []float64{0, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(old), int64(len(old)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		if err := zw.Copy(e); err != nil {
			t.Fatal(err)
		}
	}
	loss := []float64{1, 2, 3, 4, 5, 6} // 2×3, row-major
	for _, name := range []string{"train_loss.npy", "train_acc.npy"} {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(npyFortran(2, 3, loss))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := readSurface(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range loss {
		if s.Loss[k] != v || s.Acc[k] != v {
			t.Fatalf("Fortran-order loss read as %v, want %v", s.Loss, loss)
		}
	}
}

func TestReadSurfaceErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m map[string]any) string {
		p := filepath.Join(dir, name)
		if err := npz.Write(p, m); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x := []float64{0, 1, 2}
	cases := []struct {
		name, path string
		want       []string
	}{
		{"missing file", filepath.Join(dir, "nope.npz"), []string{"nope.npz"}},
		{"not npz", func() string {
			p := filepath.Join(dir, "junk.npz")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}(), []string{"junk.npz", "npz"}},
		{"missing x", write("nox.npz", map[string]any{"train_loss": x, "train_acc": x}),
			[]string{"nox.npz", `"xcoordinates"`, "missing"}},
		{"missing loss", write("noloss.npz", map[string]any{"xcoordinates": x, "train_acc": x}),
			[]string{"noloss.npz", `"train_loss" or "test_loss"`, "missing"}},
		{"missing acc", write("noacc.npz", map[string]any{"xcoordinates": x, "train_loss": x}),
			[]string{"noacc.npz", `"train_acc"`}},
		{"1D shape", write("shape1.npz", map[string]any{"xcoordinates": x, "train_loss": x[:2], "train_acc": x}),
			[]string{"shape1.npz", `"train_loss"`, "(2,)", "(3,)"}},
		{"2D shape", write("shape2.npz", map[string]any{"xcoordinates": x, "ycoordinates": x[:2],
			"train_loss": mat.NewDense(2, 3, nil), "train_acc": mat.NewDense(3, 2, nil)}),
			[]string{"shape2.npz", `"train_loss"`, "(2, 3)", "(3, 2)"}},
		{"dtype", write("int.npz", map[string]any{"xcoordinates": []int64{0, 1}, "train_loss": x, "train_acc": x}),
			[]string{"int.npz", `"xcoordinates"`, "dtype"}},
	}
	for _, c := range cases {
		_, err := readSurface(c.path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, w)
			}
		}
	}
}

// readSurface reads a whole surface file into the plot's layout with the file's split as the
// main one (surface.Load, FromSurface; unlike LoadDrawable, masked points stay as they are).
func readSurface(path string) (*Surface, error) { return readSurfaceSplit(path, "") }

// readSurfaceSplit is readSurface with split as the main split unless split is "".
func readSurfaceSplit(path, split string) (*Surface, error) {
	sf, err := surface.Load(path)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	if split != "" {
		if err := sf.SelectSplit(split); err != nil {
			return nil, fmt.Errorf("plot: %s: %w", path, err)
		}
	}
	return FromSurface(path, sf), nil
}
