package surface

import (
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func roundTrip(t *testing.T, y Axis) {
	x := Axis{Min: -1, Max: 1, Num: 3}
	s := New(x, y, "test", Settings{Model: "resnet20", Norm: "filter", X: x.String()})
	s.Set(1, 2.5, 40)
	s.Set(s.Len()-1, math.Inf(1), 10)
	path := filepath.Join(t.TempDir(), "s.npz")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.X, s.X) || !slices.Equal(r.Y, s.Y) || r.Split != "test" || r.Settings != s.Settings {
		t.Fatalf("round trip changed axes or settings: %+v", r)
	}
	for k := range s.Len() {
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
		if !same(r.Loss[k], s.Loss[k]) || !same(r.Acc[k], s.Acc[k]) || r.Computed[k] != s.Computed[k] {
			t.Errorf("point %d: got %v %v %v, want %v %v %v", k, r.Loss[k], r.Acc[k], r.Computed[k], s.Loss[k], s.Acc[k], s.Computed[k])
		}
	}
	if got := r.Missing(); len(got) != s.Len()-2 {
		t.Errorf("missing %v", got)
	}
	if py, err := exec.LookPath("/usr/bin/python3"); err == nil {
		out, err := exec.Command(py, "-c", `
import numpy as np, sys, json
z = np.load(sys.argv[1])
print(z["test_loss"].shape, z["xcoordinates"].dtype, json.loads(str(z["settings"]))["model"], z["test_loss"].flat[1])`, path).CombinedOutput()
		if err != nil && strings.Contains(string(out), "No module named 'numpy'") {
			t.Logf("numpy not installed: %s", out)
			return
		}
		shape := "(3,)"
		if y.Num > 0 {
			shape = "(3, 2)"
		}
		if err != nil || strings.TrimSpace(string(out)) != shape+" float64 resnet20 2.5" {
			t.Errorf("numpy reads %q (%v), want %s float64 resnet20 2.5", out, err, shape)
		}
	}
}

func TestRoundTrip1D(t *testing.T) { roundTrip(t, Axis{}) }
func TestRoundTrip2D(t *testing.T) { roundTrip(t, Axis{Min: 0, Max: 1, Num: 2}) }

func TestSettingsDiff(t *testing.T) {
	a := Settings{Model: "vgg9", Weights: "/a", WeightsSHA256: "1", Norm: "filter"}
	b := a
	b.Weights = "/b" // paths alone do not matter
	if d := a.Diff(b); len(d) != 0 {
		t.Errorf("diff %v", d)
	}
	b.Norm, b.WeightsSHA256 = "layer", "2"
	if d := a.Diff(b); len(d) != 2 || !strings.Contains(strings.Join(d, ";"), "norm: filter in the file, layer now") {
		t.Errorf("diff %v", d)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: %v", err)
	}
}
