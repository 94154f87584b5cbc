package plot

import (
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"landscape/surface"
)

// EigenRatio draws |λmin/λmax| of an eigenvalue map (a surface file from `landscape hessian
// --x`, holding max_eig and min_eig) as the paper's convexity maps (plot_hessian_eigen.py):
// near 0 the surface is locally convex, larger values mean strong negative curvature. 2D: a
// heat map with a colour bar from 0 to the largest ratio (<prefix>_eig_ratio.png and .svg);
// 1D: the ratio along x. ok is false, and nothing is drawn, when sf has no eigenvalue arrays.
func EigenRatio(sf *surface.Surface, path, outPrefix string) (paths []string, ok bool, err error) {
	ratio := sf.EigenRatios()
	if ratio == nil {
		return nil, false, nil
	}
	top := 0.0
	for _, r := range ratio {
		if finite(r) {
			top = math.Max(top, r)
		}
	}
	if top == 0 {
		top = 1
	}
	return valueMap(sf, path, outPrefix+"_eig_ratio", ratio, top, filepath.Base(path)+": |λmin/λmax|", "|λmin/λmax|", viridis)
}

// valueMap draws vals, an array of sf's grid, from 0 to top: 2D as a heat map with a colour bar
// labelled label (<out>.png and .svg), 1D as a line along x; ok is always true.
func valueMap(sf *surface.Surface, path, out string, vals []float64, top float64, title, label string, cmap colormap) (paths []string, ok bool, err error) {
	s := FromSurface(path, sf)
	s.Loss = toPlotOrder(sf, vals)
	s.Acc = s.Loss
	if !s.Is2D {
		o := Options{LossMax: top * 1.05, XMin: math.NaN(), XMax: math.NaN()}.withDefaults()
		cs := []curve{{x: s.X, loss: s.Loss, acc: make([]float64, len(s.X)), lossCol: blue, accCol: white}}
		for i := range cs[0].acc {
			cs[0].acc[i] = math.NaN()
		}
		p, err := render(out, fig1dW, fig1dH, lineFigure(cs, o, title, false, blue, blue), "png", "svg")
		return p, true, err
	}
	g, err := newGrid(s, Options{VMin: 0, VMax: top}.withDefaults())
	if err != nil {
		return nil, true, err
	}
	fig := func(c draw.Canvas) error {
		p := newPlot2D(title, maskNote(s.Loss))
		img, r := heatImage(g, 0, top, cmap)
		p.Add(plotter.NewImage(img, r[0], r[2], r[1], r[3]))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = r[0], r[1], r[2], r[3]
		withBar(c, p, cmap, 0, top, label, nil)
		return nil
	}
	p, err := render(out, fig2dW, fig2dH, fig, "png", "svg")
	if err != nil {
		return p, true, fmt.Errorf("plot: %s: %w", path, err)
	}
	return p, true, nil
}
