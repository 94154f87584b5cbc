package main

import (
	"path/filepath"
	"strings"
	"testing"

	"landscape/surface"
)

// partialTolerance writes a 9×9 tolerance surface of loss 1 + x² + y² of which only the
// points of the 5×5 level are computed, each with a standard error of 1% of its loss and 500
// of 1000 images.
func partialTolerance(t *testing.T, path string) {
	t.Helper()
	ax := surface.Axis{Min: -1, Max: 1, Num: 9}
	s := surface.New(ax, ax, "train", surface.Settings{Model: "resnet8-c2", Examples: 1000, Tolerance: 0.02, SampleSeed: 3})
	se, im := s.ExtraArray(surface.StdErrKey("train")), s.ExtraArray(surface.ImagesKey("train"))
	for _, k := range s.CoarseToFine()[:25] {
		a, b := s.Coord(k)
		l := 1 + a*a + b*b
		s.Set(k, l, 50)
		se[k], im[k] = 0.01*l, 500
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
}

func TestPlotPartialToleranceFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.npz")
	partialTolerance(t, f)
	out, errOut, code := run(t, "plot", f, "--rise-at", "0.5")
	if code != 0 {
		t.Fatalf("plot failed: %s", errOut)
	}
	for _, want := range []string{"25 of 81 points computed; drawing the level 5×5 of 9×9", "largest standard error 0.03 (loss 3 at (-1, -1))", "images per point 500–500, mean 500 of 1000 (50%)"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("plot's messages lack %q:\n%s", want, errOut)
		}
	}
	// rise at 0.5 on the 5×5 level: loss 1.25 at the four points, 1 at the origin; its error
	// bound is the mean of their errors (0.0125) plus the origin's (0.01).
	if want := "rise 0.2500 ± 0.0225 at distance 0.5"; !strings.Contains(out, want) {
		t.Errorf("plot output lacks %q:\n%s", want, out)
	}
	for _, fig := range []string{"p_images.png", "p_2dcontour.png"} {
		if !strings.Contains(out, filepath.Join(dir, fig)) {
			t.Fatalf("plot did not write %s:\n%s", fig, out)
		}
		decodePNG(t, filepath.Join(dir, fig))
	}
}
