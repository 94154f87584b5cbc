package plot

import (
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// colourBar draws a vertical colour bar in r for values lo..hi of cmap,
// with ticks and labels on its right and label beside them. With bands
// (ascending level values, lo and hi their ends) it draws one flat colour
// per band, as the filled contours are coloured.
func colourBar(c draw.Canvas, r vg.Rectangle, cmap colormap, lo, hi float64, label string, bands []float64) {
	y := func(v float64) vg.Length {
		return r.Min.Y + vg.Length((v-lo)/(hi-lo))*(r.Max.Y-r.Min.Y)
	}
	strip := func(v0, v1 float64, t float64) {
		c.FillPolygon(cmap(t), []vg.Point{
			{X: r.Min.X, Y: y(v0)}, {X: r.Max.X, Y: y(v0)},
			{X: r.Max.X, Y: y(v1) + 0.5}, {X: r.Min.X, Y: y(v1) + 0.5},
		})
	}
	if len(bands) >= 2 {
		for k := 0; k+1 < len(bands); k++ {
			strip(bands[k], bands[k+1], (float64(k)+0.5)/float64(len(bands)-1))
		}
	} else {
		const n = 128
		for k := range n {
			v0 := lo + (hi-lo)*float64(k)/n
			strip(v0, lo+(hi-lo)*float64(k+1)/n, (float64(k)+0.5)/n)
		}
	}
	c.StrokeLines(draw.LineStyle{Color: black, Width: vg.Points(0.5)},
		[]vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})

	sty := textStyle(9, black)
	sty.YAlign = draw.YCenter
	var widest vg.Length
	for _, t := range majorTicks(lo, hi, 6) {
		yy := y(t.Value)
		c.StrokeLine2(draw.LineStyle{Color: black, Width: vg.Points(0.5)}, r.Max.X, yy, r.Max.X+4, yy)
		c.FillText(sty, vg.Point{X: r.Max.X + 6, Y: yy}, t.Label)
		widest = max(widest, sty.Width(t.Label))
	}
	ls := textStyle(10, black)
	ls.Rotation = math.Pi / 2
	ls.XAlign, ls.YAlign = draw.XCenter, draw.YBottom
	c.FillText(ls, vg.Point{X: r.Max.X + 10 + widest + ls.Height(label), Y: (r.Min.Y + r.Max.Y) / 2}, label)
}

// barSpace is the width kept right of a plot for its colour bar.
const barSpace = vg.Length(1.1 * vg.Inch)

// withBar draws p into c leaving room on the right for a colour bar, which
// it then draws beside p's data area.
func withBar(c draw.Canvas, p *gplot.Plot, cmap colormap, lo, hi float64, label string, bands []float64) {
	pc := draw.Crop(c, 0, -barSpace, 0, 0)
	p.Draw(pc)
	da := p.DataCanvas(pc)
	x0 := pc.Max.X + vg.Points(8)
	r := vg.Rectangle{Min: vg.Point{X: x0, Y: da.Min.Y}, Max: vg.Point{X: x0 + vg.Points(14), Y: da.Max.Y}}
	colourBar(c, r, cmap, lo, hi, label, bands)
}
