package view

import (
	"strings"
	"testing"

	"landscape/surface"
)

// TestFigureOfPartialFile: a file holding the 5×5 level of a 9×9 grid is laid out as that
// level at full extent, without holes, saying so; a tolerance file says its error bars.
func TestFigureOfPartialFile(t *testing.T) {
	ax := surface.Axis{Min: -1, Max: 1, Num: 9}
	s := surface.New(ax, ax, "train", surface.Settings{Examples: 100, Tolerance: 0.05})
	se, im := s.ExtraArray(surface.StdErrKey("train")), s.ExtraArray(surface.ImagesKey("train"))
	for _, k := range s.CoarseToFine()[:30] { // the 5×5 level and 5 points of the next
		s.Set(k, 1, 50)
		se[k], im[k] = 0.04, 60
	}
	f := FromSurface("p.npz", s)
	if len(f.X) != 5 || len(f.Y) != 5 || f.X[0] != -1 || f.X[4] != 1 || f.Level != "level 5×5 of 9×9" {
		t.Fatalf("laid out x %v y %v level %q, want the 5×5 level", f.X, f.Y, f.Level)
	}
	for _, row := range f.State {
		for _, st := range row {
			if st != Finite {
				t.Fatalf("a hole in the drawn level: %v", f.State)
			}
		}
	}
	if f.Done != 30 || f.Total != 81 {
		t.Errorf("done %d of %d, want 30 of 81", f.Done, f.Total)
	}
	if !strings.Contains(f.Sampled, "largest standard error 0.04") || !strings.Contains(f.Sampled, "mean 60 of 100") {
		t.Errorf("sampled note %q", f.Sampled)
	}
}
