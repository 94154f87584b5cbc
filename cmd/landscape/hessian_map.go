package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/hessian"
	"landscape/train"
)

// gridFlags are scan's axis and direction flags, for the eigenvalue map.
type gridFlags struct {
	x, y, norm, ignore, dirType, dirs, weights2, saveDirs string
	seed                                                  int64
}

func (g *gridFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&g.x, "x", "", "map: x axis MIN:MAX:NUM (as scan)")
	fl.StringVar(&g.y, "y", "", "map: y axis MIN:MAX:NUM (2D)")
	fl.StringVar(&g.norm, "norm", "filter", "map: direction normalisation (as scan)")
	fl.StringVar(&g.ignore, "ignore", "biasbn", "map: biasbn or none (as scan)")
	fl.StringVar(&g.dirType, "dir-type", "weights", "map: weights or states (as scan)")
	fl.StringVar(&g.dirs, "dirs", "", "map: directions file (as scan)")
	fl.StringVar(&g.weights2, "weights2", "", "map: x = W2 − W over every parameter (as scan)")
	fl.StringVar(&g.saveDirs, "save-dirs", "", "map: write the directions used (as scan)")
	fl.Int64Var(&g.seed, "seed", 0, "map: seed of the random directions (as scan: the same seed gives the same plane)")
}

// runHessianMap computes max_eig and min_eig over scan's grid, with scan's directions, into a
// resumable surface file (the loss at each point too; accuracy is not computed).
func runHessianMap(f *hessianFlags) error {
	switch {
	case f.trace || f.density != "":
		return fmt.Errorf("--trace and --density are computed at θ only; drop --x for them")
	case f.device == "gpu":
		return fmt.Errorf("--device gpu: Hessian-vector products run on the CPU only for now (a GPU HVP is later work); use --device cpu")
	case f.device != "cpu" && f.device != "auto":
		return fmt.Errorf("--device %q: want cpu (or auto)", f.device)
	case f.workers < 1 || f.chunk < 1:
		return fmt.Errorf("--workers %d and --batch-size %d: want positive numbers", f.workers, f.chunk)
	case f.out == "":
		return fmt.Errorf("--x: give --out FILE.npz for the eigenvalue map")
	}
	if _, err := f.request(); err != nil {
		return err
	}
	g := f.grid
	sf := &scanFlags{model: f.model, weights: f.weights, weights2: g.weights2, dataSpec: f.dataSpec, split: f.split, limit: f.limit,
		raw: f.raw, x: g.x, y: g.y, norm: g.norm, ignore: g.ignore, dirType: g.dirType, dirs: g.dirs, saveDirs: g.saveDirs,
		seed: g.seed, out: f.out}
	sf.dev.precision = "fp32"
	s, err := prepareScan(sf)
	if err != nil {
		return err
	}
	surf := s.surface
	surf.Settings.Engine = "cpu"
	surf.Settings.Hessian = fmt.Sprintf("lanczos max+min tol=%g max-steps=%d seed=%d", f.lanczosTol, f.maxSteps, f.seed)
	if s.old != nil {
		if err := s.old.Settings.CheckResume("--out "+f.out, surf.Settings); err != nil {
			return err
		}
		st := surf.Settings
		surf = s.old
		surf.Settings = st
		if n := surf.Len() - len(surf.Missing()); n > 0 {
			fmt.Fprintf(os.Stderr, "%s: resuming, %d of %d points already computed\n", f.out, n, surf.Len())
		}
	}
	maxEig, minEig := surf.ExtraArray("max_eig"), surf.ExtraArray("min_eig")
	todo := surf.Missing()
	if err := surf.Save(f.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if len(todo) == 0 {
		fmt.Fprintf(os.Stderr, "%s: all %d points already computed\n", f.out, surf.Len())
		return nil
	}
	h, err := train.NewHVP[float32](s.problem.Net, s.problem.Base, s.problem.Data, f.chunk, f.workers)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newBar(len(todo), "points", f.quiet)
	o := hessian.Options{Tol: f.lanczosTol, MaxSteps: f.maxSteps, Seed: f.seed}
	err = hessian.EigenMap(ctx, s.problem, h, s.points, todo, o, func(k int, loss, hi, lo float64) error {
		surf.Set(k, loss, math.NaN())
		maxEig[k], minEig[k] = hi, lo
		bar.Add(1)
		return surf.Save(f.out)
	})
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Printf("%s: %d points; max_eig %s … %s, min_eig %s … %s\n", f.out, surf.Len(),
		short(minOf(maxEig)), short(maxOf(maxEig)), short(minOf(minEig)), short(maxOf(minEig)))
	return nil
}

func short(v float64) string { return fmt.Sprintf("%.4g", v) }

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
