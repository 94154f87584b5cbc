package plot

import (
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Marker is a labelled point drawn over a contour plot.
type Marker struct {
	X, Y  float64
	Label string
}

// ContourMarked draws the contour lines of a 2D surface (as _2dcontour) with markers over
// them, labelled, and with line joined in order — an optimisation path's checkpoints in the
// plane of its PCA directions, as the paper's plot_trajectory.py and plot_2D.py's
// plot_contour_trajectory — into <outPrefix>.png and .svg. The axes grow to show every marker.
func ContourMarked(s *Surface, ms []Marker, line bool, outPrefix string, opt Options) ([]string, error) {
	o := opt.withDefaults()
	g, err := newGrid(s, o)
	if err != nil {
		return nil, err
	}
	title, note := o.title(s), s.note(s.Loss)
	fig := func(c draw.Canvas) error {
		p := newPlot2D(title, note)
		p.Add(maskCells{g}, newContourLines(g, o.levels(), summer, o.levelLabel))
		fitAxes(p, g)
		addMarkers(p, ms, line)
		for _, m := range ms {
			p.X.Min, p.X.Max = math.Min(p.X.Min, m.X), math.Max(p.X.Max, m.X)
			p.Y.Min, p.Y.Max = math.Min(p.Y.Min, m.Y), math.Max(p.Y.Max, m.Y)
		}
		p.Draw(c)
		return nil
	}
	return render(outPrefix, fig2dW, fig2dH, fig, "png", "svg")
}

func addMarkers(p *gplot.Plot, ms []Marker, line bool) {
	red := color.RGBA{200, 30, 30, 255}
	xy := make(plotter.XYs, len(ms))
	labels := make([]string, len(ms))
	for i, m := range ms {
		xy[i].X, xy[i].Y, labels[i] = m.X, m.Y, m.Label
	}
	if line && len(ms) > 1 {
		p.Add(&plotter.Line{XYs: xy, LineStyle: draw.LineStyle{Color: red, Width: vg.Points(1.2)}})
	}
	sc, _ := plotter.NewScatter(xy)
	sc.GlyphStyle = draw.GlyphStyle{Color: red, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	p.Add(sc)
	if lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels}); err == nil {
		for i := range lb.TextStyle {
			lb.TextStyle[i].Color = red
			lb.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(3)}
		}
		p.Add(lb)
	}
}
