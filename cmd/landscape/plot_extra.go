package main

import (
	"errors"
	"fmt"

	"landscape/plot"
	"landscape/surface"
	"landscape/trajectory"
)

// drawExtras draws what some surface files carry besides the loss: the |λmin/λmax| map of an
// eigenvalue map (hessian --x), the three solutions of a --weights3 plane marked at (0,0),
// (1,0), (0,1), and, with --path, a trajectory over each 2D surface's contours.
func drawExtras(f *plotFlags, ss []*plot.Surface, prefixOf func(string) string, opt plot.Options) ([]string, error) {
	var written []string
	var errs []error
	var path *trajectory.Path
	if f.path != "" {
		var err error
		if path, err = trajectory.LoadPath(f.path); err != nil {
			return nil, fmt.Errorf("--path: %w", err)
		}
	}
	for _, s := range ss {
		sf, err := surface.Load(s.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps, _, err := plot.EigenRatio(sf, s.Path, prefixOf(s.Path))
		written = append(written, ps...)
		errs = append(errs, err)
		if sf.Settings.Weights3 != "" && s.Is2D { // the plane through three solutions
			ms := []plot.Marker{{X: 0, Y: 0, Label: "W"}, {X: 1, Y: 0, Label: "W2"}, {X: 0, Y: 1, Label: "W3"}}
			ps, err := plot.ContourMarked(s, ms, false, prefixOf(s.Path)+"_2dcontour_models", opt)
			written = append(written, ps...)
			errs = append(errs, err)
		}
		if path != nil && s.Is2D {
			ms := make([]plot.Marker, len(path.ProjX))
			for i := range ms {
				ms[i] = plot.Marker{X: path.ProjX[i], Y: path.ProjY[i], Label: fmt.Sprint(i + 1)}
			}
			ps, err := plot.ContourMarked(s, ms, true, prefixOf(s.Path)+"_2dcontour_path", opt)
			written = append(written, ps...)
			errs = append(errs, err)
		}
	}
	return written, errors.Join(errs...)
}
