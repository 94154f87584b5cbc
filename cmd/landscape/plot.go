package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"landscape/plot"
)

func init() { extraCommands = append(extraCommands, plotCmd) }

type plotFlags struct {
	prefix, split, title string
	vmin, vmax, vlevel   float64
	log                  bool
	riseAt               []float64
	path                 string // a trajectory's PATH.npz to draw over 2D surfaces
}

func plotCmd() *cobra.Command {
	f := &plotFlags{}
	c := &cobra.Command{
		Use:   "plot FILE.npz [FILE2.npz ...]",
		Short: "Draw surface files: contours, heat map, 3D surface, VTK; 1D loss and accuracy; comparisons",
		Long: `Draws each surface file written by scan, as the paper's plot_2D.py, plot_1D.py and h52vtp.py:
for a 2D surface labelled contour lines (<prefix>_2dcontour), filled contours (_2dcontourf), a
heat map with a colour bar (_2dheat), PNG and SVG each, a rendered 3D surface
(_3dsurface.png) and a VTK PolyData file for ParaView (_surface.vtp); for a 1D surface loss
and accuracy on two axes (_1d_loss_acc; the test split dashed when the file has both).
Several files also make a side-by-side comparison (<prefix>_compare) with shared levels.

The prefix of a file is the file name without .npz, or --out-prefix (several files:
<out-prefix>_<file base name>; the comparison: <out-prefix>, else the first file's prefix).
Every path written is printed on stdout.`,
		Example: `  landscape plot resnet20_2d.npz --vmin 0.1 --vmax 10 --vlevel 0.5
  landscape plot small_batch.npz large_batch.npz --out-prefix figs/batch --rise-at 0.5`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runPlot(f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.prefix, "out-prefix", "", "where the figures go (default: next to each file)")
	fl.StringVar(&f.split, "split", "", "train or test: the split to draw (default train if the file has it)")
	fl.Float64Var(&f.vmin, "vmin", 0.1, "lowest contour level (and bottom of the colour range)")
	fl.Float64Var(&f.vmax, "vmax", 10, "top of the contour levels (and of the colour range; 3D z clip)")
	fl.Float64Var(&f.vlevel, "vlevel", 0.5, "spacing of the contour levels")
	fl.BoolVar(&f.log, "log", false, "log-scale the loss")
	fl.StringVar(&f.title, "title", "", "figure title (default: the file name and split)")
	fl.StringVar(&f.path, "path", "", "a path file from landscape trajectory: draw its checkpoints over each 2D surface's contours (<prefix>_2dcontour_path)")
	fl.Float64SliceVar(&f.riseAt, "rise-at", nil, "also print, for each file and each of these distances (comma-separated), the mean loss rise from the origin to the points at that distance along the axes")
	return c
}

func runPlot(f *plotFlags, files []string) error {
	if f.split != "" && f.split != "train" && f.split != "test" {
		return fmt.Errorf("--split %q: want train or test", f.split)
	}
	if !(f.vmax > f.vmin) || !(f.vlevel > 0) {
		return fmt.Errorf("--vmin %g, --vmax %g, --vlevel %g: want vmin < vmax and a positive level spacing", f.vmin, f.vmax, f.vlevel)
	}
	for _, r := range f.riseAt {
		if !(r > 0) || math.IsInf(r, 0) {
			return fmt.Errorf("--rise-at %g: want positive distances", r)
		}
	}
	if f.log && f.vmin <= 0 {
		return fmt.Errorf("--log needs a positive --vmin, got %g", f.vmin)
	}
	opt := plot.Options{VMin: f.vmin, VMax: f.vmax, VLevel: f.vlevel, Log: f.log, Title: f.title, XMin: math.NaN(), XMax: math.NaN()}
	var ss []*plot.Surface
	for _, path := range files {
		s, err := plot.ReadSurfaceSplit(path, f.split)
		if err != nil {
			return err
		}
		ss = append(ss, s)
	}
	prefixOf := func(path string) string {
		base := strings.TrimSuffix(path, filepath.Ext(path))
		switch {
		case f.prefix == "":
			return base
		case len(files) == 1:
			return f.prefix
		}
		return f.prefix + "_" + filepath.Base(base)
	}
	if f.prefix != "" {
		if err := os.MkdirAll(filepath.Dir(f.prefix), 0o755); err != nil {
			return fmt.Errorf("--out-prefix %s: %w", f.prefix, err)
		}
	}
	var written []string
	var errs []error
	for k, s := range ss {
		ps, err := plot.Draw(s, prefixOf(files[k]), opt)
		written = append(written, ps...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(ss) > 1 {
		cp := f.prefix
		if cp == "" {
			cp = prefixOf(files[0])
		}
		ps, err := plot.Compare(ss, cp, opt)
		written = append(written, ps...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	ps, err := drawExtras(f, ss, prefixOf, opt)
	written = append(written, ps...)
	errs = append(errs, err)
	for _, p := range written {
		fmt.Println(p)
	}
	for _, s := range ss {
		for _, r := range f.riseAt {
			fmt.Println(riseLine(s, r))
		}
	}
	return errors.Join(errs...)
}

// riseLine reports the loss at the origin and its mean rise at distance r along the axes:
// the points (±r) of a 1D surface, (±r, 0) and (0, ±r) of a 2D one, interpolated linearly
// between grid points. For filter-normalised directions this compares the sharpness of minima.
func riseLine(s *plot.Surface, r float64) string {
	at := func(x, y float64) float64 {
		if !s.Is2D {
			return interp1(s.X, s.Loss, x)
		}
		// interpolate along y at the two bracketing x columns, then along x
		i, fx, ok := bracket(s.X, x)
		if !ok {
			return math.NaN()
		}
		col := func(i int) float64 { return interp1(s.Y, s.Loss[i*len(s.Y):(i+1)*len(s.Y)], y) }
		switch fx {
		case 0:
			return col(i)
		case 1:
			return col(i + 1)
		}
		return (1-fx)*col(i) + fx*col(i+1)
	}
	l0 := at(0, 0)
	pts := [][2]float64{{-r, 0}, {r, 0}}
	if s.Is2D {
		pts = append(pts, [2]float64{0, -r}, [2]float64{0, r})
	}
	var sum float64
	n := 0
	for _, p := range pts {
		if v := at(p[0], p[1]); !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	if n == 0 || math.IsNaN(l0) {
		return fmt.Sprintf("%s: no finite loss at the origin or at distance %g", s.Path, r)
	}
	return fmt.Sprintf("%s: %s loss %.4f at the origin, rise %.4f at distance %g (mean of %d points)", s.Path, s.Split, l0, sum/float64(n)-l0, r, n)
}

// bracket finds i and the fraction f with v = (1−f)·c[i] + f·c[i+1], for monotonic c.
func bracket(c []float64, v float64) (int, float64, bool) {
	for i := 0; i+1 < len(c); i++ {
		a, b := c[i], c[i+1]
		if (v-a)*(v-b) <= 0 && a != b {
			return i, (v - a) / (b - a), true
		}
	}
	if len(c) == 1 && c[0] == v {
		return 0, 0, true
	}
	return 0, 0, false
}

func interp1(c, z []float64, v float64) float64 {
	i, f, ok := bracket(c, v)
	switch {
	case !ok:
		return math.NaN()
	case f == 0:
		return z[i]
	case f == 1:
		return z[i+1]
	}
	return (1-f)*z[i] + f*z[i+1]
}
