package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/hessian"
	"landscape/job"
	"landscape/surface"
	"landscape/train"
)

// gridFlags are scan's axis and direction flags, for the eigenvalue map.
type gridFlags struct {
	x, y, norm, ignore, dirType, dirs, weights2, weights3, saveDirs, shard string
	seed                                                                   int64
	shards                                                                 int
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
	fl.StringVar(&g.weights3, "weights3", "", "map: with --weights2, y = W3 − W: the plane through three solutions (as scan)")
	fl.StringVar(&g.shard, "shard", "", "map: compute only shard I/N (or auto), as scan; landscape merge joins the shards")
	fl.IntVar(&g.shards, "shards", 0, "map: N for --shard auto (as scan)")
}

// runHessianMap computes max_eig and min_eig over scan's grid, with scan's directions (job's
// preparation: data, weights, directions, the resume check), into a resumable surface file
// that also gets the loss at each point (accuracy is not computed: NaN).
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
	spec := job.ScanSpec{Model: f.model, Weights: f.weights, Weights2: g.weights2, Weights3: g.weights3, Data: f.dataSpec, Split: f.split,
		Limit: f.limit, Raw: f.raw, X: g.x, Y: g.y, Norm: g.norm, Ignore: g.ignore, DirType: g.dirType, Seed: g.seed,
		Dirs: g.dirs, SaveDirs: g.saveDirs, Out: f.out, Device: job.Device{Device: "cpu", Precision: "fp32"},
		Workers: f.workers, Log: logStderr,
		Hessian: fmt.Sprintf("lanczos max+min tol=%g max-steps=%d seed=%d", f.lanczosTol, f.maxSteps, f.seed)}
	dopt, err := dataOptions(f.split, f.limit, f.raw, f.normalize)
	if err != nil {
		return err
	}
	spec.Normalize = dopt.Normalize
	if err := spec.UseShard(g.shard, g.shards, os.Getenv); err != nil {
		return err
	}
	sc, err := job.PrepareScan(spec)
	if err != nil {
		return err
	}
	surf := sc.Surface
	if sc.Resumed > 0 && !slices.Contains(surface.EngineKinds(surf.Settings.Engine), "cpu") {
		return fmt.Errorf("--out %s was computed on %s, not by landscape hessian", spec.Out, surf.Settings.Engine)
	}
	surf.Settings.Engine = "cpu"
	maxEig, minEig := surf.ExtraArray(surface.MaxEigKey), surf.ExtraArray(surface.MinEigKey)
	if err := surf.Save(spec.Out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if len(sc.Todo) == 0 {
		fmt.Fprintf(os.Stderr, "%s: all %d points already computed\n", spec.Out, surf.Len())
		return nil
	}
	if sc.Resumed > 0 {
		fmt.Fprintf(os.Stderr, "%s: resuming, %d of %d points already computed\n", spec.Out, sc.Resumed, surf.Len())
	}
	p := sc.Problem
	h, err := train.NewHVP[float32](p.Net, p.Base, p.Data, f.chunk, f.workers)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newBar(len(sc.Todo), "points", f.quiet)
	o := hessian.Options{Tol: f.lanczosTol, MaxSteps: f.maxSteps, Seed: f.seed}
	err = hessian.EigenMap(ctx, p, h, sc.Points, sc.Todo, o, func(k int, loss, hi, lo float64) error {
		surf.Set(k, loss, math.NaN())
		maxEig[k], minEig[k] = hi, lo
		bar.Add(1)
		return surf.Save(spec.Out)
	})
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Printf("%s: %d points; max_eig %.4g … %.4g, min_eig %.4g … %.4g\n", spec.Out, surf.Len(),
		minOf(maxEig), maxOf(maxEig), minOf(minEig), maxOf(minEig))
	return nil
}

// minOf and maxOf skip NaN (points not computed, e.g. of other shards).
func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		if !math.IsNaN(x) {
			m = math.Min(m, x)
		}
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if !math.IsNaN(x) {
			m = math.Max(m, x)
		}
	}
	return m
}
