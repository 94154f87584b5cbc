package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/view"
)

func init() { extraCommands = append(extraCommands, viewCmd) }

type viewFlags struct {
	out, serve, path, title string
	report                  string
	figures                 []string
	vmin, vmax              float64
	log                     bool
}

func viewCmd() *cobra.Command {
	f := &viewFlags{}
	c := &cobra.Command{
		Use:   "view FILE.npz [FILE2.npz ...] [--out page.html | --serve 127.0.0.1:8080]",
		Short: "Interactive page of surface files: 3D surface, contours, heat map, read-out under the cursor; live while a scan runs",
		Long: `Writes one self-contained HTML page (plotly.js embedded: it opens offline, no server) of the
surface files: for a 2D file a 3D surface (drag to rotate, scroll to zoom), labelled contours and a
heat map, with a read-out of (x, y, loss, accuracy) of the point under the cursor; for a 1D file
loss and accuracy curves. Controls: linear/log loss scale, clip range, one colour scale for all
files, linked 3D cameras, save PNG. Several files are drawn side by side. --path draws an
optimiser trajectory (from landscape trajectory) on the 2D plots; files holding Hessian
eigenvalues (max_eig, min_eig) also get a map of |λmin/λmax|. Points not computed or diverged
are gaps.

With --serve the same page is served read-only at HOST:PORT (127.0.0.1 when HOST is empty) and
updated as the files change, e.g. while a scan writes them; Ctrl-C stops it.

With --report a Markdown report becomes the page, its images named by --figure replaced by
interactive figures (make demo writes demo-out/index.html so).`,
		Example: `  landscape view resnet20_2d.npz --out resnet20.html
  landscape view small_batch.npz large_batch.npz --log --vmax 10 --out batch.html
  landscape view --serve 127.0.0.1:8080 resnet20_2d.npz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for name, v := range map[string]*float64{"vmin": &f.vmin, "vmax": &f.vmax} {
				if !cmd.Flags().Changed(name) {
					*v = math.NaN() // the data's range
				}
			}
			return runView(cmd.Context(), f, args)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.out, "out", "", "the page to write (default: the first file's name with .html)")
	fl.StringVar(&f.serve, "serve", "", "serve the page live at HOST:PORT instead of writing it")
	fl.StringVar(&f.path, "path", "", "trajectory file (.npz with proj_xcoord, proj_ycoord) to draw on the 2D plots")
	fl.StringVar(&f.title, "title", "", "page title (default: the file names)")
	fl.Float64Var(&f.vmin, "vmin", 0, "initial clip minimum of the loss (default: the data's)")
	fl.Float64Var(&f.vmax, "vmax", 0, "initial clip maximum of the loss (default: the data's)")
	fl.BoolVar(&f.log, "log", false, "start with a log loss scale")
	fl.StringVar(&f.report, "report", "", "a Markdown report to make interactive (with --figure; no FILE arguments)")
	fl.StringArrayVar(&f.figures, "figure", nil, "with --report: IMAGE=FILE.npz[,FILE2.npz...] replaces the report's image IMAGE (its src) by these surfaces (FILE.npz@PATH.npz: with the trajectory PATH.npz); IMAGE= removes it")
	return c
}

func runView(parent context.Context, f *viewFlags, files []string) error {
	opt := view.Options{Log: f.log, VMin: f.vmin, VMax: f.vmax, Title: f.title}
	if err := opt.Check(); err != nil {
		return err
	}
	if f.report != "" {
		return writeReport(f, files, opt)
	}
	if len(files) == 0 {
		return errors.New("no surface file: give FILE.npz [FILE2.npz ...]")
	}
	if len(f.figures) > 0 {
		return errors.New("--figure needs --report")
	}
	for _, p := range files {
		if !strings.HasSuffix(p, ".npz") {
			return fmt.Errorf("%s: want a surface file (.npz) written by landscape scan", p)
		}
	}
	if f.serve != "" {
		if f.out != "" {
			return errors.New("--out and --serve: give one (a page file, or a live server)")
		}
		ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return view.ServeFiles(ctx, f.serve, files, f.path, opt, os.Stderr)
	}
	d, err := view.Load(files, f.path, opt)
	if err != nil {
		return err
	}
	out := f.out
	if out == "" {
		out = strings.TrimSuffix(files[0], ".npz") + ".html"
	}
	if err := view.WriteFile(out, d); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}

// writeReport makes the page of a Markdown report with interactive figures.
func writeReport(f *viewFlags, files []string, opt view.Options) error {
	switch {
	case len(files) > 0:
		return fmt.Errorf("--report takes its surfaces from --figure, not as arguments (%s)", strings.Join(files, " "))
	case f.serve != "":
		return errors.New("--report writes a page; --serve is for surface files")
	case f.out == "":
		return errors.New("--report needs --out PAGE.html")
	}
	figs := map[string][]string{}
	for _, s := range f.figures {
		img, paths, err := view.ParseFigure(s)
		if err != nil {
			return err
		}
		figs[img] = paths
	}
	d, err := view.Report(f.report, figs, f.path, opt)
	if err != nil {
		return err
	}
	if err := view.WriteFile(f.out, d); err != nil {
		return err
	}
	fmt.Println(f.out)
	return nil
}
