package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/model"
	"landscape/surface"
)

// scan --weights2 --weights3 records the three solutions; plot marks them at (0,0), (1,0) and
// (0,1) in <prefix>_2dcontour_models; --weights3 without --y is an error naming the flag.
func TestPlaneThroughThreeSolutionsCommand(t *testing.T) {
	dir := t.TempDir()
	spec := writeIDX(t, dir, 8, 8)
	cfg := model.Config{InC: 1, HW: 8, Classes: 10}
	var w [3]string
	for i := range w {
		sub := filepath.Join(dir, string(rune('a'+i)))
		os.Mkdir(sub, 0o755)
		w[i] = writeWeights(t, sub, "resnet8", cfg, int64(i+1))
	}
	out := filepath.Join(dir, "plane.npz")
	args := []string{"scan", "--model", "resnet8", "--weights", w[0], "--weights2", w[1], "--weights3", w[2], "--data", spec,
		"--split", "test", "--device", "cpu", "--x", "-0.5:1.5:5", "--out", out}
	if _, e, code := run(t, args...); code == 0 || !strings.Contains(e, "--weights3") {
		t.Errorf("--weights3 without --y: exit %d: %s", code, e)
	}
	mustRun(t, append(args, "--y", "-0.5:1.5:5")...)
	s, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Settings.Weights3 != w[2] {
		t.Errorf("settings: weights3 %q", s.Settings.Weights3)
	}
	if p := mustRun(t, "plot", out); !strings.Contains(p, "plane_2dcontour_models.png") {
		t.Errorf("plot: %s", p)
	}
}
