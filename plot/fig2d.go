package plot

import (
	"image"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of single 2D figures.
const (
	fig2dW = 6 * vg.Inch
	fig2dH = 5 * vg.Inch
)

// newPlot2D is a plot titled title, with note on a second line.
func newPlot2D(title, note string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	if note != "" {
		p.Title.Text += "\n" + note
	}
	p.X.Label.Text = "x"
	p.Y.Label.Text = "y"
	p.X.Tick.Marker = niceTicks{5}
	p.Y.Tick.Marker = niceTicks{5}
	return p
}

// fitAxes sets p's axes to the grid's extent.
func fitAxes(p *gplot.Plot, g *grid) {
	p.X.Min, p.X.Max = g.x[0], g.x[len(g.x)-1]
	p.Y.Min, p.Y.Max = g.y[0], g.y[len(g.y)-1]
}

// contourFigure draws labelled contour lines (plot_2D.py's _2dcontour, cmap
// summer), masked points greyed.
func contourFigure(g *grid, o Options, title, note string) figure {
	return func(c draw.Canvas) error {
		p := newPlot2D(title, note)
		p.Add(maskCells{g}, newContourLines(g, o.levels(), summer, o.levelLabel))
		fitAxes(p, g)
		p.Draw(c)
		return nil
	}
}

// contourfFigure draws filled contours (plot_2D.py's _2dcontourf, cmap
// summer). It renders a raster: every pixel is interpolated bilinearly in
// its grid cell and coloured by the band between contour levels it falls
// in; as matplotlib's contourf, values below the first or above the last
// level are left unfilled (white), and cells touching a masked point are
// grey.
func contourfFigure(g *grid, o Options, title, note string) figure {
	return func(c draw.Canvas) error {
		p := newPlot2D(title, note)
		levels := o.levels()
		x0, x1, y0, y1 := g.x[0], g.x[len(g.x)-1], g.y[0], g.y[len(g.y)-1]
		p.Add(plotter.NewImage(bandImage(g, levels, summer, 600, 600), x0, y0, x1, y1))
		fitAxes(p, g)
		lo, hi := levels[0], levels[len(levels)-1]
		if len(levels) < 2 {
			hi = lo + 1
		}
		withBar(c, p, summer, lo, hi, o.zLabel(""), levels)
		return nil
	}
}

// bandImage rasterises g into a w×h image coloured by contour band.
func bandImage(g *grid, levels []float64, cmap colormap, w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x0, x1, y0, y1 := g.x[0], g.x[len(g.x)-1], g.y[0], g.y[len(g.y)-1]
	n := len(levels)
	for py := range h {
		y := y1 - (float64(py)+0.5)/float64(h)*(y1-y0)
		for px := range w {
			x := x0 + (float64(px)+0.5)/float64(w)*(x1-x0)
			v := g.at(x, y)
			var col color.RGBA
			switch k := bandOf(levels, v); {
			case math.IsNaN(v):
				col = maskGrey
			case k < 0:
				continue // unfilled
			case n < 2:
				col = cmap(0.5)
			default:
				col = cmap((float64(k) + 0.5) / float64(n-1))
			}
			img.SetRGBA(px, py, col)
		}
	}
	return img
}

// bandOf is k with levels[k] <= v < levels[k+1], or -1 when v is outside
// the levels (with one level: 0 for v >= levels[0]).
func bandOf(levels []float64, v float64) int {
	n := len(levels)
	if n == 1 {
		if v >= levels[0] {
			return 0
		}
		return -1
	}
	if !(v >= levels[0] && v < levels[n-1]) {
		return -1
	}
	for k := n - 2; k >= 0; k-- {
		if v >= levels[k] {
			return k
		}
	}
	return -1
}

// heatFigure draws a heat map of the grid cells (plot_2D.py's _2dheat,
// cmap viridis, range VMin..VMax, values outside it clipped to the ends)
// with a colour bar; masked points are grey. gonum's vector HeatMap leaves
// hairline seams between cells in PNGs, so the cells are rasterised
// (nearest node, several pixels per cell) and drawn as one image.
func heatFigure(g *grid, o Options, title, note string) figure {
	return func(c draw.Canvas) error {
		p := newPlot2D(title, note)
		lo, hi := o.zRange()
		img, r := heatImage(g, lo, hi, viridis)
		p.Add(plotter.NewImage(img, r[0], r[2], r[1], r[3]))
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = r[0], r[1], r[2], r[3]
		withBar(c, p, viridis, lo, hi, o.zLabel(""), nil)
		return nil
	}
}

// heatImage rasterises the cells of g, each node's cell reaching half way
// to its neighbours, and returns the image and its extent (xmin, xmax,
// ymin, ymax).
func heatImage(g *grid, lo, hi float64, cmap colormap) (image.Image, [4]float64) {
	nx, ny := g.Dims()
	ext := func(a []float64) (float64, float64) {
		n := len(a)
		return a[0] - (a[1]-a[0])/2, a[n-1] + (a[n-1]-a[n-2])/2
	}
	x0, x1 := ext(g.x)
	y0, y1 := ext(g.y)
	w, h := nx*max(1, 800/nx), ny*max(1, 800/ny)
	nearest := func(a []float64, v float64) int {
		v = math.Max(a[0], math.Min(a[len(a)-1], v))
		i, f, _ := locate(a, v)
		if f >= 0.5 {
			i++
		}
		return i
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for py := range h {
		j := nearest(g.y, y1-(float64(py)+0.5)/float64(h)*(y1-y0))
		for px := range w {
			i := nearest(g.x, x0+(float64(px)+0.5)/float64(w)*(x1-x0))
			col := maskGrey
			if v := g.Z(i, j); !math.IsNaN(v) {
				col = cmap((v - lo) / (hi - lo))
			}
			img.SetRGBA(px, py, col)
		}
	}
	return img, [4]float64{x0, x1, y0, y1}
}
