package job

import (
	"math"
	"path/filepath"
	"testing"

	"landscape/model"
)

// --weights3: the plane through three solutions. With the running statistics interpolated
// too, the grid points (0,0), (1,0) and (0,1) are W, W2 and W3 themselves: their losses equal
// those of 1-point scans at each solution (to float32 rounding of w + (w' − w)); without
// --weights2 or --y it is an error.
func TestPlaneThroughThreeSolutions(t *testing.T) {
	spec, _ := fixture(t, 3, 3)
	spec.X, spec.Y, spec.DirType = "0:1:2", "0:1:2", "states"
	dir := filepath.Dir(filepath.Dir(spec.Out))
	net := mustNet(t)
	var files [3]string
	for i, seed := range []int64{1, 7, 9} {
		files[i] = filepath.Join(dir, "w"+string(rune('a'+i))+".safetensors")
		if err := model.WriteSafetensors(files[i], model.Init(net, seed), nil); err != nil {
			t.Fatal(err)
		}
	}
	spec.Weights, spec.Weights2, spec.Weights3 = files[0], files[1], files[2]
	s := runScan(t, spec)
	if s.Settings.Weights3 != files[2] || s.Settings.Weights3SHA256 == "" {
		t.Errorf("settings %+v", s.Settings)
	}
	at := func(w string) float64 {
		one := spec
		one.Weights, one.Weights2, one.Weights3, one.X, one.Y, one.DirType = w, "", "", "0:0:1", "", "weights"
		one.Out = filepath.Join(dir, "out", filepath.Base(w)+".npz")
		return runScan(t, one).Loss[0]
	}
	for i, ij := range [][2]int{{0, 0}, {1, 0}, {0, 1}} {
		want, got := at(files[i]), s.Loss[s.Index(ij[0], ij[1])]
		if math.Abs(got-want) > 1e-5*want {
			t.Errorf("point %v: loss %.7g, the solution itself %.7g", ij, got, want)
		}
	}
	if got := s.Loss[s.Index(1, 1)]; math.Abs(got-at(files[0])) < 1e-3 {
		t.Errorf("(1,1) has W's loss %g: the directions did nothing", got)
	}
	bad := spec
	bad.Weights2, bad.Out = "", filepath.Join(dir, "out", "bad.npz")
	if _, err := PrepareScan(bad); err == nil {
		t.Error("--weights3 without --weights2: no error")
	}
}
