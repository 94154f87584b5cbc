package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"landscape/data"
	"landscape/job"
	"landscape/plot"
	"landscape/surface"
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
	if err := f.check(); err != nil {
		return err
	}
	opt := plot.Options{VMin: f.vmin, VMax: f.vmax, VLevel: f.vlevel, Log: f.log, Title: f.title, XMin: math.NaN(), XMax: math.NaN()}
	var ss []*plot.Surface
	var sfs []*surface.Surface
	for _, path := range files {
		ps, drawn, notes, err := plot.LoadDrawable(path, f.split)
		if err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintf(os.Stderr, "%s: %s\n", path, n)
		}
		ss, sfs = append(ss, ps), append(sfs, drawn)
	}
	prefixOf := func(path string) string { return plot.FilePrefix(f.prefix, len(files), path) }
	if f.prefix != "" {
		if err := os.MkdirAll(filepath.Dir(f.prefix), 0o755); err != nil {
			return fmt.Errorf("--out-prefix %s: %w", f.prefix, err)
		}
	}
	written, err := plot.DrawFiles(ss, prefixOf, cmp.Or(f.prefix, prefixOf(files[0])), opt)
	ps, errExtras := drawExtras(f, ss, prefixOf, opt)
	for _, p := range append(written, ps...) {
		fmt.Println(p)
	}
	for k, sf := range sfs {
		for _, r := range f.riseAt {
			fmt.Println(riseLine(files[k], sf, r))
		}
	}
	return errors.Join(err, errExtras)
}

// check checks the flags' values before any file is read.
func (f *plotFlags) check() error {
	if f.split != "" {
		if err := data.CheckSplit("--split", f.split); err != nil {
			return err
		}
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
	return nil
}

// riseLine reports the loss at the origin and its mean rise at distance r (job.Rise).
func riseLine(path string, s *surface.Surface, r float64) string {
	l0, rise, n, err := job.Rise(s, r)
	if err != nil {
		return fmt.Sprintf("%s: no finite loss at the origin or at distance %g", path, r)
	}
	if se := job.RiseStdErr(s, r); !math.IsNaN(se) {
		return fmt.Sprintf("%s: %s loss %.4f at the origin, rise %.4f ± %.4f at distance %g (mean of %d points; ± bounds its standard error)", path, s.Split, l0, rise, se, r, n)
	}
	return fmt.Sprintf("%s: %s loss %.4f at the origin, rise %.4f at distance %g (mean of %d points)", path, s.Split, l0, rise, r, n)
}
