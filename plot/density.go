package plot

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Density draws a Hessian spectral density (grid, values) as PyHessian's plot does: the density
// plus 1e-7 on a log axis against the eigenvalue. It writes base.png and returns the path.
func Density(grid, values []float64, base, title string) (string, error) {
	if len(grid) != len(values) || len(grid) < 2 {
		return "", fmt.Errorf("plot: density of %d grid points and %d values", len(grid), len(values))
	}
	fig := func(c draw.Canvas) error {
		p := gplot.New()
		p.Title.Text = title
		p.X.Label.Text = "Eigenvalue"
		p.Y.Label.Text = "Density (Spectrum)"
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = powerTicks{}
		p.X.Tick.Marker = niceTicks{8}
		xy := make(plotter.XYs, len(grid))
		for i := range grid {
			xy[i].X, xy[i].Y = grid[i], values[i]+1e-7
		}
		p.Add(&plotter.Line{XYs: xy, LineStyle: draw.LineStyle{Color: color.RGBA{31, 119, 180, 255}, Width: vg.Points(1.2)}})
		p.Draw(c)
		return nil
	}
	paths, err := render(strings.TrimSuffix(base, ".png"), fig1dW, fig1dH, fig, "png")
	if err != nil {
		return "", err
	}
	return paths[0], nil
}

// powerTicks are gonum's log ticks with the powers of ten labelled 1e-05, 0.001, 1, …
type powerTicks struct{}

func (powerTicks) Ticks(lo, hi float64) []gplot.Tick {
	ts := gplot.LogTicks{}.Ticks(lo, hi)
	for i, t := range ts {
		if t.Label != "" {
			ts[i].Label = strconv.FormatFloat(t.Value, 'g', 2, 64)
		}
	}
	return ts
}
