package plot

import (
	"errors"
	"fmt"

	"landscape/surface"
)

// PathMarkers labels the checkpoints (x[i], y[i]) of an optimisation path 1, 2, … in order.
func PathMarkers(x, y []float64) []Marker {
	ms := make([]Marker, min(len(x), len(y)))
	for i := range ms {
		ms[i] = Marker{X: x[i], Y: y[i], Label: fmt.Sprint(i + 1)}
	}
	return ms
}

// Extras draws what some surface files carry besides the loss: the |λmin/λmax| map of an
// eigenvalue map (EigenRatio), the images used per point of a tolerance scan (ImagesMap), the three solutions of a plane through W, W2, W3 marked at
// (0,0), (1,0), (0,1) (<prefix>_2dcontour_models), and, when path is not empty, an
// optimisation path joined over each 2D surface's contours (<prefix>_2dcontour_path). Each
// surface's files are named by prefixOf(its path); it returns every file written and the
// errors of all the surfaces.
func Extras(ss []*Surface, path []Marker, prefixOf func(string) string, opt Options) ([]string, error) {
	var written []string
	var errs []error
	for _, s := range ss {
		sf, err := surface.Load(s.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prefix := prefixOf(s.Path)
		ps, _, err := EigenRatio(sf, s.Path, prefix)
		written = append(written, ps...)
		errs = append(errs, err)
		ps, _, err = ImagesMap(sf, s.Path, prefix)
		written = append(written, ps...)
		errs = append(errs, err)
		if sf.Settings.Weights3 != "" && s.Is2D {
			ms := []Marker{{X: 0, Y: 0, Label: "W"}, {X: 1, Y: 0, Label: "W2"}, {X: 0, Y: 1, Label: "W3"}}
			ps, err := ContourMarked(s, ms, false, prefix+"_2dcontour_models", opt)
			written = append(written, ps...)
			errs = append(errs, err)
		}
		if len(path) > 0 && s.Is2D {
			ps, err := ContourMarked(s, path, true, prefix+"_2dcontour_path", opt)
			written = append(written, ps...)
			errs = append(errs, err)
		}
	}
	return written, errors.Join(errs...)
}
