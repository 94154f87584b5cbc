package plot

import (
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// contourLines is a gonum plotter drawing the contour lines of a grid in
// the colours of a colormap over the levels, each line labelled with its
// level in the manner of matplotlib's clabel(inline=1): a label on a white
// box, rotated along the line, at the line's midpoint (or a quarter along),
// where it fits and is clear of other labels; short lines get none.
type contourLines struct {
	g      *grid
	levels []float64
	lines  [][][]pt // per level
	cmap   colormap
	label  func(float64) string // nil: no labels
	width  vg.Length
}

func newContourLines(g *grid, levels []float64, cmap colormap, label func(float64) string) *contourLines {
	cl := &contourLines{g: g, levels: levels, cmap: cmap, label: label, width: vg.Points(1.2)}
	for _, z := range levels {
		cl.lines = append(cl.lines, isolines(g, z))
	}
	return cl
}

// colour is the colour of level k.
func (cl *contourLines) colour(k int) color.RGBA {
	if len(cl.levels) < 2 {
		return cl.cmap(0.5)
	}
	return cl.cmap(float64(k) / float64(len(cl.levels)-1))
}

// DataRange implements plot.DataRanger.
func (cl *contourLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	return cl.g.x[0], cl.g.x[len(cl.g.x)-1], cl.g.y[0], cl.g.y[len(cl.g.y)-1]
}

// Plot implements plot.Plotter.
func (cl *contourLines) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	screen := make([][][]vg.Point, len(cl.lines))
	for k, ls := range cl.lines {
		sty := draw.LineStyle{Color: cl.colour(k), Width: cl.width}
		for _, l := range ls {
			ps := make([]vg.Point, len(l))
			for i, q := range l {
				ps[i] = vg.Point{X: trX(q.x), Y: trY(q.y)}
			}
			screen[k] = append(screen[k], ps)
			c.StrokeLines(sty, c.ClipLinesXY(ps)...)
		}
	}
	if cl.label == nil {
		return
	}
	var placed []vg.Point
	for k, ls := range screen {
		txt := cl.label(cl.levels[k])
		sty := textStyle(8, shade(cl.colour(k), 0.55))
		w, h := sty.Width(txt), sty.Height(txt)
		for _, l := range ls {
			if at, angle, ok := labelSpot(c, l, w, h, placed); ok {
				placed = append(placed, at)
				drawLabel(c, sty, at, angle, w, h, txt)
			}
		}
	}
}

// labelSpot finds where on line l a w×h label fits inside c, clear of the
// labels already placed: its centre and the line's angle there.
func labelSpot(c draw.Canvas, l []vg.Point, w, h vg.Length, placed []vg.Point) (vg.Point, float64, bool) {
	total := arcLength(l)
	if total < 3*w {
		return vg.Point{}, 0, false
	}
	for _, f := range []float64{0.5, 0.25, 0.75} {
		s := vg.Length(f) * total
		at := pointAt(l, s)
		a, b := pointAt(l, s-w/2), pointAt(l, s+w/2)
		angle := math.Atan2(float64(b.Y-a.Y), float64(b.X-a.X))
		if angle > math.Pi/2 {
			angle -= math.Pi
		} else if angle < -math.Pi/2 {
			angle += math.Pi
		}
		fits := true
		for _, q := range labelBox(at, angle, w, h) {
			fits = fits && c.Contains(q)
		}
		for _, q := range placed {
			fits = fits && math.Hypot(float64(q.X-at.X), float64(q.Y-at.Y)) > 1.5*float64(w)
		}
		if fits {
			return at, angle, true
		}
	}
	return vg.Point{}, 0, false
}

// drawLabel draws txt centred at at, rotated by angle, on a white box.
func drawLabel(c draw.Canvas, sty text.Style, at vg.Point, angle float64, w, h vg.Length, txt string) {
	c.FillPolygon(white, labelBox(at, angle, w, h))
	sty.Rotation = angle
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, at, txt)
}

// labelBox is the corners of a w×h box (plus a margin) centred at at and
// rotated by angle.
func labelBox(at vg.Point, angle float64, w, h vg.Length) []vg.Point {
	sin, cos := math.Sincos(angle)
	hw, hh := float64(w)/2+2, float64(h)/2
	var box []vg.Point
	for _, d := range [][2]float64{{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}} {
		box = append(box, vg.Point{
			X: at.X + vg.Length(d[0]*cos-d[1]*sin),
			Y: at.Y + vg.Length(d[0]*sin+d[1]*cos),
		})
	}
	return box
}

func arcLength(l []vg.Point) vg.Length {
	var s vg.Length
	for i := 1; i < len(l); i++ {
		s += dist(l[i-1], l[i])
	}
	return s
}

// pointAt is the point at arc length s along l (clamped to its ends).
func pointAt(l []vg.Point, s vg.Length) vg.Point {
	if s <= 0 {
		return l[0]
	}
	for i := 1; i < len(l); i++ {
		d := dist(l[i-1], l[i])
		if s <= d && d > 0 {
			f := s / d
			return vg.Point{X: l[i-1].X + f*(l[i].X-l[i-1].X), Y: l[i-1].Y + f*(l[i].Y-l[i-1].Y)}
		}
		s -= d
	}
	return l[len(l)-1]
}

func dist(a, b vg.Point) vg.Length {
	return vg.Length(math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y)))
}

// maskCells is a gonum plotter greying the cells around masked grid points.
type maskCells struct{ g *grid }

// Plot implements plot.Plotter.
func (m maskCells) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	nx, ny := m.g.Dims()
	half := func(a []float64, i int) (lo, hi float64) {
		lo, hi = a[i], a[i]
		if i > 0 {
			lo = (a[i-1] + a[i]) / 2
		}
		if i < len(a)-1 {
			hi = (a[i] + a[i+1]) / 2
		}
		return lo, hi
	}
	for i := range nx {
		for j := range ny {
			if !math.IsNaN(m.g.Z(i, j)) {
				continue
			}
			x0, x1 := half(m.g.x, i)
			y0, y1 := half(m.g.y, j)
			poly := c.ClipPolygonXY([]vg.Point{
				{X: trX(x0), Y: trY(y0)}, {X: trX(x1), Y: trY(y0)},
				{X: trX(x1), Y: trY(y1)}, {X: trX(x0), Y: trY(y1)},
			})
			if len(poly) > 0 { // outlined too, so neighbours leave no seam
				c.FillPolygon(maskGrey, poly)
				c.StrokeLines(draw.LineStyle{Color: maskGrey, Width: vg.Points(0.5)}, append(poly, poly[0]))
			}
		}
	}
}

// textStyle is the default font at size points in colour col.
func textStyle(size float64, col color.Color) text.Style {
	return text.Style{
		Color:   col,
		Font:    font.From(gplot.DefaultFont, vg.Points(size)),
		Handler: gplot.DefaultTextHandler,
	}
}
