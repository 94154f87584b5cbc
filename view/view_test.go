package view

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"landscape/surface"
	"landscape/trajectory"
)

// bowl is the test surfaces' loss: a tilted bowl, different at every grid point.
func bowl(x, y float64) float64 { return 0.5 + x*x + 2*y*y + 0.1*x }

// writeSurface saves a 2D surface (1D when ny == 0) with loss bowl(x, y), accuracy 50 + 10x and
// the points for which done(k) is true computed; it returns the surface.
func writeSurface(t *testing.T, path string, nx, ny int, done func(k int) bool) *surface.Surface {
	t.Helper()
	var ya surface.Axis
	if ny > 0 {
		ya = surface.Axis{Min: -1, Max: 1, Num: ny}
	}
	s := surface.New(surface.Axis{Min: -1, Max: 1, Num: nx}, ya, "train", surface.Settings{Model: "resnet20", Examples: 100})
	for k := range s.Len() {
		if done(k) {
			a, b := s.Coord(k)
			s.Set(k, bowl(a, b), 50+10*a)
		}
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	return s
}

func all(int) bool { return true }

func TestFigurePlacesPointsByCoordinates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	s := writeSurface(t, path, 5, 4, func(k int) bool { return k%3 != 0 })
	// one diverged point
	s.Set(1, math.Inf(1), 10)
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFigure(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Loss) != 4 || len(f.Loss[0]) != 5 {
		t.Fatalf("grid %dx%d, want 4 rows of 5", len(f.Loss), len(f.Loss[0]))
	}
	pending, diverged := 0, 0
	for j, y := range f.Y {
		for i, x := range f.X {
			switch f.State[j][i] {
			case Pending:
				pending++
				if !math.IsNaN(float64(f.Loss[j][i])) {
					t.Errorf("pending point (%g, %g) has loss %g", x, y, f.Loss[j][i])
				}
			case Diverged:
				diverged++
			case Finite:
				if got, want := float64(f.Loss[j][i]), bowl(x, y); got != want {
					t.Errorf("loss at (%g, %g) = %g, want %g", x, y, got, want)
				}
				if got, want := float64(f.Acc[j][i]), 50+10*x; got != want {
					t.Errorf("accuracy at (%g, %g) = %g, want %g", x, y, got, want)
				}
			}
		}
	}
	wantPending := len(s.Missing())
	if pending != wantPending || diverged != 1 || f.Done != 20-wantPending || f.Diverged != 1 {
		t.Errorf("pending %d diverged %d done %d (figure says %d), want %d, 1, %d", pending, diverged, f.Done, f.Diverged, wantPending, 20-wantPending)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("null")) || bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
		t.Errorf("gaps should be JSON null, never NaN/Inf: %.200s", b)
	}
}

func TestFigure1D(t *testing.T) {
	path := filepath.Join(t.TempDir(), "line.npz")
	writeSurface(t, path, 7, 0, all)
	f, err := LoadFigure(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Is2D || len(f.Loss) != 1 || len(f.Loss[0]) != 7 || f.Done != 7 {
		t.Fatalf("1D figure: is2D %v, %d rows, done %d", f.Is2D, len(f.Loss), f.Done)
	}
	for i, x := range f.X {
		if got := float64(f.Loss[0][i]); got != bowl(x, 0) {
			t.Errorf("loss at %g = %g, want %g", x, got, bowl(x, 0))
		}
	}
}

func TestPageIsSelfContained(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	writeSurface(t, path, 3, 3, all)
	d, err := Load([]string{path}, "", Options{VMin: math.NaN(), VMax: math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePage(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// no external scripts, styles or images: everything is inline
	if m := regexp.MustCompile(`(?i)<(script|link|img)[^>]+(src|href)="(?:[^d"]|d[^a])`).FindString(page); m != "" {
		t.Errorf("page refers to an outside resource: %s", m)
	}
	for _, want := range []string{"plotly.js v", "MIT License", `id="landscape-data"`, `"is2D":true`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(strings.ToLower(page), "</script>"); n != 3 {
		t.Errorf("%d </script> tags, want 3 (plotly, data, app): an embedded one would cut a script short", n)
	}
}

func TestOptionsCheck(t *testing.T) {
	if err := (Options{VMin: 2, VMax: 1}).Check(); err == nil || !strings.Contains(err.Error(), "--vmin") {
		t.Errorf("vmin > vmax: %v", err)
	}
	if err := (Options{Log: true, VMin: 0, VMax: 1}).Check(); err == nil || !strings.Contains(err.Error(), "--log") {
		t.Errorf("log with vmin 0: %v", err)
	}
	if err := (Options{VMin: math.NaN(), VMax: 3}).Check(); err != nil {
		t.Errorf("auto vmin: %v", err)
	}
}

var nan = math.NaN()

func log10(v float64) float64 { return math.Log10(v) }

// round4 is v to 4 significant digits, as the read-out prints coordinates.
func round4(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return r
}

// writeTrajectory saves a trajectory file with landscape trajectory's writer.
func writeTrajectory(t *testing.T, path string, x, y, evr []float64) {
	t.Helper()
	b, err := (&trajectory.Path{ProjX: x, ProjY: y, ExplainedVarianceRatio: evr, ExplainedVariance: []float64{1, 1}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrajectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traj.npz")
	writeTrajectory(t, path, []float64{1, 2, 3}, []float64{4, 5, 6}, []float64{0.6, 0.3})
	tr, err := LoadTrajectory(path)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tr.X, tr.Y, tr.Variance) != "[1 2 3] [4 5 6] [0.6 0.3]" {
		t.Errorf("read %v %v %v", tr.X, tr.Y, tr.Variance)
	}
	bad := filepath.Join(t.TempDir(), "bad.npz")
	writeTrajectory(t, bad, []float64{1, 2}, []float64{4}, []float64{0.5})
	if _, err := LoadTrajectory(bad); err == nil || !strings.Contains(err.Error(), "proj_ycoord 1") || !strings.Contains(err.Error(), "--path") {
		t.Errorf("mismatched lengths: %v", err)
	}
}

// eigs sets max_eig = 2 + x and min_eig = −y·(2 + x)/2 at every point but k = 0 (left NaN), so
// that |min/max| = |y|/2 where defined.
func eigs(s *surface.Surface) {
	mx, mn := s.ExtraArray("max_eig"), s.ExtraArray("min_eig")
	for k := 1; k < s.Len(); k++ {
		a, b := s.Coord(k)
		mx[k], mn[k] = 2+a, -b*(2+a)/2
	}
}

func TestFigureEigenRatio(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.npz")
	s := writeSurface(t, path, 5, 3, all)
	eigs(s)
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFigure(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Ratio == nil {
		t.Fatal("no ratio map from a file with max_eig and min_eig")
	}
	for j, y := range f.Y {
		for i, x := range f.X {
			got := float64(f.Ratio[j][i])
			if i == 0 && j == 0 {
				if !math.IsNaN(got) {
					t.Errorf("ratio at (%g, %g) without eigenvalues = %g, want a gap", x, y, got)
				}
				continue
			}
			if want := math.Abs(y) / 2; math.Abs(got-want) > 1e-12 {
				t.Errorf("ratio at (%g, %g) = %g, want %g", x, y, got, want)
			}
		}
	}
	line := filepath.Join(t.TempDir(), "l.npz")
	sl := writeSurface(t, line, 4, 0, all)
	mx, mn := sl.ExtraArray("max_eig"), sl.ExtraArray("min_eig")
	for k := range sl.Len() {
		mx[k], mn[k] = 4, -float64(k)
	}
	if err := sl.Save(line); err != nil {
		t.Fatal(err)
	}
	if f, err := LoadFigure(line); err != nil || f.Ratio == nil || len(f.Ratio) != 1 || float64(f.Ratio[0][3]) != 0.75 {
		t.Errorf("1D ratio map: %v, %v; want [[0 0.25 0.5 0.75]]", f.Ratio, err)
	}
	plain := filepath.Join(t.TempDir(), "p.npz")
	writeSurface(t, plain, 3, 3, all)
	if f, err := LoadFigure(plain); err != nil || f.Ratio != nil {
		t.Errorf("a file without eigenvalues: ratio %v, err %v; want none", f.Ratio, err)
	}
}
