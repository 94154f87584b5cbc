package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Draw writes every figure for one surface next to outPrefix and returns
// the paths written (those written before a failure too).
//
// 2D: <prefix>_2dcontour.{png,svg} (labelled contour lines),
// <prefix>_2dcontourf.{png,svg} (filled contours), <prefix>_2dheat.{png,svg}
// (heat map with colour bar), <prefix>_3dsurface.png (shaded 3D surface) and
// <prefix>_surface.vtp (VTK PolyData for ParaView).
// 1D: <prefix>_1d_loss_acc.{png,svg} (loss on the left axis, accuracy on
// the right).
func Draw(s *Surface, outPrefix string, opt Options) ([]string, error) {
	if s == nil {
		return nil, errors.New("plot: Draw: nil surface")
	}
	o := opt.withDefaults()
	if !s.Is2D {
		if err := check1D(s); err != nil {
			return nil, err
		}
		cs := []curve{{x: s.X, loss: s.Loss, acc: s.Acc, lossCol: blue, accCol: red}}
		title := filepath.Base(s.Path) + ": " + s.Split
		if len(s.OtherLoss) == len(s.X) && len(s.OtherAcc) == len(s.X) {
			cs = append(cs, curve{x: s.X, loss: s.OtherLoss, acc: s.OtherAcc, lossCol: blue, accCol: red, dashed: true})
			title = filepath.Base(s.Path) + " (solid: " + s.Split + ", dashed: " + s.OtherSplit + ")"
		}
		if opt.Title != "" {
			title = opt.Title
		}
		if note := s.note(s.Loss, s.Acc, s.OtherLoss, s.OtherAcc); note != "" {
			title += "\n" + note
		}
		return render(outPrefix+"_1d_loss_acc", fig1dW, fig1dH, lineFigure(cs, o, title, false, blue, red), "png", "svg")
	}

	g, err := newGrid(s, o)
	if err != nil {
		return nil, err
	}
	title, note := o.title(s), s.note(s.Loss)
	var out []string
	steps := []func() ([]string, error){
		func() ([]string, error) {
			return render(outPrefix+"_2dcontour", fig2dW, fig2dH, contourFigure(g, o, title, note), "png", "svg")
		},
		func() ([]string, error) {
			return render(outPrefix+"_2dcontourf", fig2dW, fig2dH, contourfFigure(g, o, title, note), "png", "svg")
		},
		func() ([]string, error) {
			return render(outPrefix+"_2dheat", fig2dW, fig2dH, heatFigure(g, o, title, note), "png", "svg")
		},
		func() ([]string, error) {
			n3 := note
			if _, hi := g.finiteRange(); hi > o.z(o.VMax) {
				n3 = joinNote(n3, fmt.Sprintf("(z clipped at %s)", o.levelLabel(o.z(o.VMax))))
			}
			return render(outPrefix+"_3dsurface", fig3dW, fig3dH, surfaceFigure(g, o, title, n3, o.zLabel(s.Split)), "png")
		},
		func() ([]string, error) {
			path := outPrefix + "_surface.vtp"
			err := writeAtomic(path, func(w io.Writer) error { return writeVTP(w, s, o) })
			if err != nil {
				return nil, err
			}
			return []string{path}, nil
		},
	}
	for _, step := range steps {
		ps, err := step()
		out = append(out, ps...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

func check1D(s *Surface) error {
	if len(s.Loss) != len(s.X) || len(s.Acc) != len(s.X) {
		return fmt.Errorf("plot: %s: %d loss and %d accuracy values for %d x coordinates",
			s.Path, len(s.Loss), len(s.Acc), len(s.X))
	}
	return nil
}

// tab10 is matplotlib's default colour cycle, for comparing files.
var tab10 = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

// Compare draws several surfaces in one figure, <outPrefix>_compare.{png,svg},
// with the same levels, colours and axes for all. 1D: the curves overlaid,
// one colour per file (loss solid, accuracy dashed), with a legend; 2D: a
// row of contour panels, each titled with its file's base name.
func Compare(ss []*Surface, outPrefix string, opt Options) ([]string, error) {
	if len(ss) == 0 {
		return nil, errors.New("plot: Compare: no surfaces")
	}
	o := opt.withDefaults()
	for _, s := range ss {
		if s == nil {
			return nil, errors.New("plot: Compare: nil surface")
		}
		if s.Is2D != ss[0].Is2D {
			return nil, fmt.Errorf("plot: Compare: %s and %s are not both 1D or both 2D", ss[0].Path, s.Path)
		}
	}
	base := outPrefix + "_compare"
	if !ss[0].Is2D {
		var cs []curve
		for k, s := range ss {
			if err := check1D(s); err != nil {
				return nil, err
			}
			col := tab10[k%len(tab10)]
			name := filepath.Base(s.Path) + " (" + s.Split + ")"
			cs = append(cs, curve{name: joinNote(name, s.note(s.Loss, s.Acc)), x: s.X, loss: s.Loss, acc: s.Acc,
				lossCol: col, accCol: col, accDashed: true})
		}
		title := "loss (solid) and accuracy (dashed)"
		if opt.Title != "" {
			title = opt.Title
		}
		return render(base, fig1dW, fig1dH, lineFigure(cs, o, title, true, black, black), "png", "svg")
	}

	gs := make([]*grid, len(ss))
	ext := [4]float64{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for k, s := range ss {
		g, err := newGrid(s, o)
		if err != nil {
			return nil, err
		}
		gs[k] = g
		ext = [4]float64{math.Min(ext[0], g.x[0]), math.Max(ext[1], g.x[len(g.x)-1]),
			math.Min(ext[2], g.y[0]), math.Max(ext[3], g.y[len(g.y)-1])}
	}
	panelW, panelH := 4.2*vg.Inch, 4.4*vg.Inch
	fig := func(c draw.Canvas) error {
		if opt.Title != "" {
			ts := textStyle(13, black)
			ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
			c.FillText(ts, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - 4}, opt.Title)
			c = draw.Crop(c, 0, 0, 0, -(ts.Height(opt.Title) + 8))
		}
		anyNote := false
		for _, s := range ss {
			anyNote = anyNote || s.note(s.Loss) != ""
		}
		tiles := draw.Tiles{Rows: 1, Cols: len(gs), PadX: vg.Points(6)}
		for k, g := range gs {
			p := gplot.New()
			p.Title.Text = filepath.Base(ss[k].Path)
			switch note := ss[k].note(ss[k].Loss); {
			case note != "":
				p.Title.Text += "\n" + note
			case anyNote: // keep the panels' data areas aligned
				p.Title.Text += "\n(no points masked)"
			}
			p.X.Label.Text, p.Y.Label.Text = "x", "y"
			p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{5}, niceTicks{5}
			p.Add(maskCells{g}, newContourLines(g, o.levels(), summer, o.levelLabel))
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = ext[0], ext[1], ext[2], ext[3]
			p.Draw(tiles.At(c, k, 0))
		}
		return nil
	}
	return render(base, panelW*vg.Length(len(gs)), panelH, fig, "png", "svg")
}
