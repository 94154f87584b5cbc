package plot

import (
	"image/color"
	"math"
	"sort"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of the 3D figure.
const (
	fig3dW = 7 * vg.Inch
	fig3dH = 5.5 * vg.Inch
)

type vec [3]float64

func (a vec) dot(b vec) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec) sub(b vec) vec     { return vec{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a vec) cross(b vec) vec {
	return vec{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a vec) unit() vec {
	n := math.Sqrt(a.dot(a))
	if n == 0 {
		return a
	}
	return vec{a[0] / n, a[1] / n, a[2] / n}
}

// camera is an orthographic view from elevation and azimuth (degrees, as
// matplotlib's view_init) of the box [-1,1]×[-1,1]×[-zh,zh], fitted into a
// screen rectangle.
type camera struct {
	eye, right, up vec
	zh             float64
	scale          float64
	centre         vg.Point // screen point of the box centre
}

// boxZ is the half height of the box, matplotlib's 4:4:3 box aspect.
const boxZ = 0.75

func newCamera(elev, azim float64, area vg.Rectangle) camera {
	el, az := elev*math.Pi/180, azim*math.Pi/180
	cam := camera{
		eye:   vec{math.Cos(el) * math.Cos(az), math.Cos(el) * math.Sin(az), math.Sin(el)},
		right: vec{-math.Sin(az), math.Cos(az), 0},
		up:    vec{-math.Sin(el) * math.Cos(az), -math.Sin(el) * math.Sin(az), math.Cos(el)},
		zh:    boxZ,
	}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range cam.corners() {
		u, v := p.dot(cam.right), p.dot(cam.up)
		lo = [2]float64{math.Min(lo[0], u), math.Min(lo[1], v)}
		hi = [2]float64{math.Max(hi[0], u), math.Max(hi[1], v)}
	}
	sz := area.Size()
	cam.scale = math.Min(float64(sz.X)/(hi[0]-lo[0]), float64(sz.Y)/(hi[1]-lo[1]))
	cam.centre = vg.Point{
		X: (area.Min.X+area.Max.X)/2 - vg.Length(cam.scale*(lo[0]+hi[0])/2),
		Y: (area.Min.Y+area.Max.Y)/2 - vg.Length(cam.scale*(lo[1]+hi[1])/2),
	}
	return cam
}

func (cam camera) corners() []vec {
	var cs []vec
	for _, x := range []float64{-1, 1} {
		for _, y := range []float64{-1, 1} {
			for _, z := range []float64{-cam.zh, cam.zh} {
				cs = append(cs, vec{x, y, z})
			}
		}
	}
	return cs
}

// at projects a box point onto the screen.
func (cam camera) at(p vec) vg.Point {
	return vg.Point{
		X: cam.centre.X + vg.Length(cam.scale*p.dot(cam.right)),
		Y: cam.centre.Y + vg.Length(cam.scale*p.dot(cam.up)),
	}
}

// dir is the unit screen direction of box vector d.
func (cam camera) dir(d vec) vg.Point {
	u, v := d.dot(cam.right), d.dot(cam.up)
	n := math.Hypot(u, v)
	if n == 0 {
		return vg.Point{}
	}
	return vg.Point{X: vg.Length(u / n), Y: vg.Length(v / n)}
}

// light is matplotlib's 3D shading light source (azdeg 225, altdeg 19.47).
var light = func() vec {
	az, alt := (90-225)*math.Pi/180, 19.4712*math.Pi/180
	return vec{math.Cos(az) * math.Cos(alt), math.Sin(az) * math.Cos(alt), math.Sin(alt)}
}()

// axis3 maps data values v in [lo, hi] onto box coordinates [-h, h].
type axis3 struct{ lo, hi, h float64 }

func (a axis3) at(v float64) float64 { return -a.h + 2*a.h*(v-a.lo)/(a.hi-a.lo) }

func (a axis3) ticks() []gplot.Tick {
	return majorTicks(a.lo, a.hi, 5)
}

// surfaceFigure renders g as a shaded 3D surface (plot_2D.py's _3dsurface,
// cmap coolwarm) seen from elevation 30°, azimuth -60° (matplotlib's
// default view): grid quads sorted back to front and filled (painter's
// algorithm), coloured by their mean height and shaded by their normal, over
// grey back panes with grid lines, tick labels and a colour bar. Heights
// are clipped at VMax; quads touching masked points are left out.
func surfaceFigure(g *grid, o Options, title, note, zlabel string) figure {
	return func(c draw.Canvas) error {
		zlo, zhi := g.finiteRange()
		if _, top := o.zRange(); zhi > top {
			zhi = top
		}
		if math.IsInf(zlo, 0) || zlo >= zhi {
			zlo, zhi = math.Min(zlo, zhi), math.Min(zlo, zhi)+1
			if math.IsInf(zlo, 0) {
				zlo, zhi = 0, 1
			}
		}
		ax := [3]axis3{{g.x[0], g.x[len(g.x)-1], 1}, {g.y[0], g.y[len(g.y)-1], 1}, {zlo, zhi, boxZ}}

		ts := textStyle(12, black)
		ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
		tt := title
		if note != "" {
			tt += "\n" + note
		}
		c.FillText(ts, vg.Point{X: (c.Min.X + c.Max.X - barSpace) / 2, Y: c.Max.Y - 6}, tt)

		area := vg.Rectangle{
			Min: vg.Point{X: c.Min.X + vg.Inch, Y: c.Min.Y + 0.7*vg.Inch},
			Max: vg.Point{X: c.Max.X - barSpace - 0.5*vg.Inch, Y: c.Max.Y - ts.Height(tt) - 0.4*vg.Inch},
		}
		cam := newCamera(30, -60, area)
		drawPanes(c, cam, ax)
		drawQuads(c, cam, g, ax)
		drawAxes3(c, cam, ax, zlabel)

		bar := vg.Rectangle{
			Min: vg.Point{X: c.Max.X - barSpace + 8, Y: area.Min.Y + 0.15*(area.Max.Y-area.Min.Y)},
			Max: vg.Point{X: c.Max.X - barSpace + 22, Y: area.Max.Y - 0.15*(area.Max.Y-area.Min.Y)},
		}
		colourBar(c, bar, coolwarm, zlo, zhi, zlabel, nil)
		return nil
	}
}

// sgn is -1 for negative v, else 1.
func sgn(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// drawPanes fills the three back faces of the box and draws grid lines on
// them at the ticks.
func drawPanes(c draw.Canvas, cam camera, ax [3]axis3) {
	back := vec{-sgn(cam.eye[0]), -sgn(cam.eye[1]), -sgn(cam.eye[2]) * boxZ}
	pane := color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
	edge := draw.LineStyle{Color: color.RGBA{0x90, 0x90, 0x90, 0xff}, Width: vg.Points(0.6)}
	gridSty := draw.LineStyle{Color: color.RGBA{0xd0, 0xd0, 0xd0, 0xff}, Width: vg.Points(0.5)}
	half := [3]float64{1, 1, boxZ}
	for k := range 3 { // the face normal to axis k
		a, b := (k+1)%3, (k+2)%3
		face := func(u, v float64) vg.Point {
			var p vec
			p[k], p[a], p[b] = back[k], u*half[a], v*half[b]
			return cam.at(p)
		}
		poly := []vg.Point{face(-1, -1), face(1, -1), face(1, 1), face(-1, 1)}
		c.FillPolygon(pane, poly)
		for _, t := range ax[a].ticks() {
			u := ax[a].at(t.Value) / half[a]
			c.StrokeLines(gridSty, []vg.Point{face(u, -1), face(u, 1)})
		}
		for _, t := range ax[b].ticks() {
			v := ax[b].at(t.Value) / half[b]
			c.StrokeLines(gridSty, []vg.Point{face(-1, v), face(1, v)})
		}
		c.StrokeLines(edge, append(poly, poly[0]))
	}
}

// quad is one grid cell projected, with its depth along the view.
type quad struct {
	pts   []vg.Point
	depth float64
	col   color.RGBA
}

// drawQuads paints the surface back to front.
func drawQuads(c draw.Canvas, cam camera, g *grid, ax [3]axis3) {
	nx, ny := g.Dims()
	p := func(i, j int) vec {
		z := math.Min(g.Z(i, j), ax[2].hi)
		return vec{ax[0].at(g.x[i]), ax[1].at(g.y[j]), ax[2].at(z)}
	}
	var qs []quad
	for i := range nx - 1 {
		for j := range ny - 1 {
			if math.IsNaN(g.Z(i, j) + g.Z(i+1, j) + g.Z(i+1, j+1) + g.Z(i, j+1)) {
				continue
			}
			c4 := [4]vec{p(i, j), p(i+1, j), p(i+1, j+1), p(i, j+1)}
			var mid vec
			for _, q := range c4 {
				mid = vec{mid[0] + q[0]/4, mid[1] + q[1]/4, mid[2] + q[2]/4}
			}
			n := c4[2].sub(c4[0]).cross(c4[3].sub(c4[1])).unit()
			if n[2] < 0 {
				n = vec{-n[0], -n[1], -n[2]}
			}
			t := (mid[2] + boxZ) / (2 * boxZ)
			k := 0.3 + 0.7*(n.dot(light)+1)/2
			q := quad{depth: mid.dot(cam.eye), col: shade(coolwarm(t), k)}
			for _, v := range c4 {
				q.pts = append(q.pts, cam.at(v))
			}
			qs = append(qs, q)
		}
	}
	sort.Slice(qs, func(a, b int) bool { return qs[a].depth < qs[b].depth })
	for _, q := range qs {
		c.FillPolygon(q.col, q.pts)
		c.StrokeLines(draw.LineStyle{Color: q.col, Width: vg.Points(0.4)}, append(q.pts, q.pts[0]))
	}
}

// drawAxes3 labels the front-bottom x and y edges and the leftmost
// vertical edge with ticks and axis names.
func drawAxes3(c draw.Canvas, cam camera, ax [3]axis3, zlabel string) {
	front := vec{sgn(cam.eye[0]), sgn(cam.eye[1]), -sgn(cam.eye[2]) * boxZ}
	ts := textStyle(8, black)
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YCenter
	ls := textStyle(11, black)
	ls.XAlign, ls.YAlign = draw.XCenter, draw.YCenter
	tick := draw.LineStyle{Color: black, Width: vg.Points(0.6)}
	off := func(p vg.Point, d vg.Point, l vg.Length) vg.Point {
		return vg.Point{X: p.X + d.X*l, Y: p.Y + d.Y*l}
	}
	for k, name := range []string{"x", "y"} {
		other := 1 - k
		var out vec
		out[other] = front[other]
		d := cam.dir(out)
		at := func(v float64) vg.Point {
			var p vec
			p[k], p[other], p[2] = v, front[other], front[2]
			return cam.at(p)
		}
		for _, t := range ax[k].ticks() {
			q := at(ax[k].at(t.Value))
			c.StrokeLines(tick, []vg.Point{q, off(q, d, 4)})
			c.FillText(ts, off(q, d, 14), t.Label)
		}
		c.FillText(ls, off(at(0), d, 32), name)
	}
	// z: the vertical edge furthest left on screen.
	best := vec{}
	minX := vg.Length(math.Inf(1))
	for _, x := range []float64{-1, 1} {
		for _, y := range []float64{-1, 1} {
			if q := cam.at(vec{x, y, 0}); q.X < minX {
				minX, best = q.X, vec{x, y, 0}
			}
		}
	}
	zs := ts
	zs.XAlign = draw.XRight
	var widest vg.Length
	for _, t := range ax[2].ticks() {
		q := cam.at(vec{best[0], best[1], ax[2].at(t.Value)})
		c.StrokeLines(tick, []vg.Point{q, {X: q.X - 4, Y: q.Y}})
		c.FillText(zs, vg.Point{X: q.X - 6, Y: q.Y}, t.Label)
		widest = max(widest, zs.Width(t.Label))
	}
	ls.Rotation = math.Pi / 2
	mid := cam.at(vec{best[0], best[1], 0})
	c.FillText(ls, vg.Point{X: mid.X - 14 - widest, Y: mid.Y}, zlabel)
}
