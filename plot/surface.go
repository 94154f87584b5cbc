// Package plot draws loss-landscape surface files (.npz, as written by the
// scan command) in the manner of Li et al. 2018, "Visualizing the Loss
// Landscape of Neural Nets" (plot_2D.py, plot_1D.py and h52vtp.py of
// tomgoldstein/loss-landscape): contour, filled-contour, heat-map and 3D
// surface pictures and a VTK PolyData file for 2D surfaces, and a
// loss/accuracy plot with two y axes for 1D surfaces.
//
// Points that are not finite (NaN: not computed yet or diverged; ±Inf:
// diverged) are masked in every figure and counted in its title.
package plot

import "landscape/surface"

// Surface is one loss surface read from a surface file.
type Surface struct {
	Path  string    // file it was read from
	X, Y  []float64 // coordinates along the directions; Y is nil for 1D
	Split string    // "train" or "test": the split Loss and Acc belong to
	// Loss and Acc (accuracy in percent) have len(X)*len(Y) values for 2D,
	// the value at (X[i], Y[j]) at index i*len(Y)+j, or len(X) for 1D.
	Loss, Acc []float64
	Is2D      bool

	// OtherSplit, OtherLoss and OtherAcc hold the second split when the
	// file has both (Split is then "train" and OtherSplit "test"); they
	// are empty otherwise. The 1D plot draws them dashed, as plot_1D.py.
	OtherSplit          string
	OtherLoss, OtherAcc []float64

	// Note, when not empty, goes under every figure's title: e.g. "level 14×14 of 51×51"
	// when the surface is the computed sub-grid of a partial file (surface.Drawable).
	Note string
}

// note is the surface's Note and how many of its points are masked.
func (s *Surface) note(vs ...[]float64) string {
	if s.Note == "" {
		return maskNote(vs...)
	}
	return joinNote("("+s.Note+")", maskNote(vs...))
}

// FromSurface converts a surface into the plot's layout (index i*len(Y)+j
// at (X[i], Y[j])), with the test split as the other split of a train
// surface when the file has both.
func FromSurface(path string, sf *surface.Surface) *Surface {
	s := &Surface{Path: path, X: sf.X, Y: sf.Y, Split: sf.Split, Is2D: sf.Is2D()}
	s.Loss, s.Acc = toPlotOrder(sf, sf.Loss), toPlotOrder(sf, sf.Acc)
	if l, a := sf.Extra["test_loss"], sf.Extra["test_acc"]; sf.Split == "train" && l != nil && a != nil {
		s.OtherSplit, s.OtherLoss, s.OtherAcc = "test", toPlotOrder(sf, l), toPlotOrder(sf, a)
	}
	return s
}

func toPlotOrder(sf *surface.Surface, v []float64) []float64 {
	if !sf.Is2D() {
		return v
	}
	out := make([]float64, len(v))
	for k, z := range v {
		i, j := sf.IJ(k)
		out[i*len(sf.Y)+j] = z
	}
	return out
}
