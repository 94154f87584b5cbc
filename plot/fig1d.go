package plot

import (
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Size of 1D figures.
const (
	fig1dW = 7 * vg.Inch
	fig1dH = 5 * vg.Inch
)

// curve is one loss curve and its accuracy curve on a 1D plot.
type curve struct {
	name            string // legend entry; "" for none
	x, loss, acc    []float64
	lossCol, accCol color.Color
	dashed          bool // both lines dashed
	accDashed       bool // accuracy line dashed
}

// lineFigure draws loss curves against the left axis and accuracy curves
// against a right axis, as plot_1D.py's twinx plot. gonum/plot has no twin
// axis, so the accuracy is mapped onto the loss axis (linearly, or
// log-linearly when the loss axis is log-scaled, so that it is linear on
// screen) and the right axis with accuracy ticks is drawn by hand beside
// the data area. Non-finite points (and, with Log, losses <= 0) break the
// lines. With legend, the curves' names are listed below the plot.
func lineFigure(cs []curve, o Options, title string, legend bool, lossLabelCol, accLabelCol color.Color) figure {
	return func(c draw.Canvas) error {
		x0, x1 := xRange(cs, o)
		y0, y1 := 0.0, o.LossMax
		if o.Log {
			y0 = logBottom(cs, x0, x1, y1)
		}
		accY := func(a float64) float64 {
			f := (a - o.AccMin) / (100 - o.AccMin)
			if o.Log {
				return y0 * math.Pow(y1/y0, f)
			}
			return y0 + f*(y1-y0)
		}

		p := gplot.New()
		p.Title.Text = title
		p.X.Label.Text = "x"
		p.Y.Label.Text = "Loss"
		p.Y.Label.TextStyle.Color = lossLabelCol
		p.Y.Tick.Label.Color = lossLabelCol
		p.X.Tick.Marker = niceTicks{8}
		p.Y.Tick.Marker = niceTicks{6}
		if o.Log {
			p.Y.Scale = gplot.LogScale{}
			p.Y.Tick.Marker = gplot.LogTicks{Prec: -1}
		}
		leg := gplot.NewLegend()
		leg.Left, leg.Top = true, true
		leg.Padding = vg.Points(3)
		for _, cv := range cs {
			ls := draw.LineStyle{Color: cv.lossCol, Width: vg.Points(1.5)}
			as := draw.LineStyle{Color: cv.accCol, Width: vg.Points(1.5)}
			if cv.dashed {
				ls.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			if cv.dashed || cv.accDashed {
				as.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			for _, run := range runs(cv.x, cv.loss, o.Log, func(v float64) float64 { return v }) {
				p.Add(&plotter.Line{XYs: run, LineStyle: ls})
			}
			for _, run := range runs(cv.x, cv.acc, false, accY) {
				p.Add(&plotter.Line{XYs: run, LineStyle: as})
			}
			if cv.name != "" {
				leg.Add(cv.name, &plotter.Line{LineStyle: ls})
			}
		}
		p.X.Min, p.X.Max = x0, x1
		p.Y.Min, p.Y.Max = y0, y1

		pc := draw.Crop(c, 0, -0.9*vg.Inch, 0, 0)
		if legend {
			h := leg.Rectangle(c).Size().Y + 8
			leg.Draw(draw.Crop(c, 0.8*vg.Inch, 0, 4, -(c.Rectangle.Size().Y - h)))
			pc = draw.Crop(pc, 0, 0, h+4, 0)
		}
		p.Draw(pc)
		rightAxis(c, p, p.DataCanvas(pc), o.AccMin, accLabelCol)
		return nil
	}
}

// rightAxis draws the accuracy axis (accMin..100) on the right of data
// area da, styled as p's left axis.
func rightAxis(c draw.Canvas, p *gplot.Plot, da draw.Canvas, accMin float64, col color.Color) {
	x := da.Max.X + p.Y.Padding
	line := p.Y.LineStyle
	c.StrokeLine2(line, x, da.Min.Y, x, da.Max.Y)
	ts := p.Y.Tick.Label
	ts.Color = col
	ts.XAlign, ts.YAlign = draw.XLeft, draw.YCenter
	var widest vg.Length
	for _, t := range (niceTicks{6}).Ticks(accMin, 100) {
		if t.Value < accMin || t.Value > 100 {
			continue
		}
		y := da.Min.Y + vg.Length((t.Value-accMin)/(100-accMin))*(da.Max.Y-da.Min.Y)
		l := p.Y.Tick.Length
		if t.IsMinor() {
			l /= 2
		}
		c.StrokeLine2(p.Y.Tick.LineStyle, x, y, x+l, y)
		if !t.IsMinor() {
			c.FillText(ts, vg.Point{X: x + p.Y.Tick.Length + 3, Y: y}, t.Label)
			widest = max(widest, ts.Width(t.Label))
		}
	}
	ls := p.Y.Label.TextStyle
	ls.Color = col
	ls.Rotation = math.Pi / 2
	ls.XAlign, ls.YAlign = draw.XCenter, draw.YBottom
	lx := x + p.Y.Tick.Length + 3 + widest + p.Y.Label.Padding + ls.Height("Accuracy (%)")
	c.FillText(ls, vg.Point{X: lx, Y: (da.Min.Y + da.Max.Y) / 2}, "Accuracy (%)")
}

// runs splits the points (x[i], f(y[i])) into runs of finite values
// (positive too when positive is set).
func runs(x, y []float64, positive bool, f func(float64) float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range x {
		if i < len(y) && finite(y[i]) && finite(x[i]) && (!positive || y[i] > 0) {
			cur = append(cur, plotter.XY{X: x[i], Y: f(y[i])})
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// xRange is Options' XMin..XMax, each defaulting to the data's extent.
func xRange(cs []curve, o Options) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, cv := range cs {
		for _, x := range cv.x {
			if finite(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if o.XMin != 0 || o.XMax != 0 {
		if finite(o.XMin) {
			lo = o.XMin
		}
		if finite(o.XMax) {
			hi = o.XMax
		}
	}
	if !(lo < hi) {
		m := lo
		if !finite(m) {
			m = 0
		}
		lo, hi = m-1, m+1
	}
	return lo, hi
}

// logBottom is the bottom of a log loss axis: the decade below the
// smallest positive loss shown, or top/100 when there is none below top.
func logBottom(cs []curve, x0, x1, top float64) float64 {
	lo := math.Inf(1)
	for _, cv := range cs {
		for i, l := range cv.loss {
			if finite(l) && l > 0 && cv.x[i] >= x0 && cv.x[i] <= x1 {
				lo = math.Min(lo, l)
			}
		}
	}
	if !(lo < top) {
		return top / 100
	}
	return math.Pow(10, math.Floor(math.Log10(lo)))
}
