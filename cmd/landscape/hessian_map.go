package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/hessian"
	"landscape/job"
	"landscape/surface"
	"landscape/train"
)

// gridFlags are scan's axis and direction flags, for the eigenvalue map.
type gridFlags struct {
	x, y, norm, ignore, dirType, dirs, weights2, saveDirs, shard string
	seed                                                         int64
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
	fl.StringVar(&g.shard, "shard", "", "map: I/N computes only the points k with k mod N = I (files of all shards merge like scan's)")
}

// parseShard reads --shard I/N ("" for all points).
func parseShard(s string) (sel func(int) bool, err error) {
	if s == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, e1 := strconv.Atoi(a)
	n, e2 := strconv.Atoi(b)
	if !ok || e1 != nil || e2 != nil || n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("--shard %q: want I/N with 0 ≤ I < N", s)
	}
	return func(k int) bool { return k%n == i }, nil
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
	sel, err := parseShard(g.shard)
	if err != nil {
		return err
	}
	spec := job.ScanSpec{Model: f.model, Weights: f.weights, Weights2: g.weights2, Data: f.dataSpec, Split: f.split,
		Limit: f.limit, Raw: f.raw, X: g.x, Y: g.y, Norm: g.norm, Ignore: g.ignore, DirType: g.dirType, Seed: g.seed,
		Dirs: g.dirs, SaveDirs: g.saveDirs, Out: f.out, Device: job.Device{Device: "cpu", Precision: "fp32"},
		Workers: f.workers, Select: sel, Shard: g.shard, Log: logStderr,
		Hessian: fmt.Sprintf("lanczos max+min tol=%g max-steps=%d seed=%d", f.lanczosTol, f.maxSteps, f.seed)}
	sc, err := job.PrepareScan(spec)
	if err != nil {
		return err
	}
	surf := sc.Surface
	if sc.Resumed > 0 && !slices.Contains(surface.EngineKinds(surf.Settings.Engine), "cpu") {
		return fmt.Errorf("--out %s was computed on %s, not by landscape hessian", f.out, surf.Settings.Engine)
	}
	surf.Settings.Engine = "cpu"
	maxEig, minEig := surf.ExtraArray("max_eig"), surf.ExtraArray("min_eig")
	if err := surf.Save(f.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if len(sc.Todo) == 0 {
		fmt.Fprintf(os.Stderr, "%s: all %d points already computed\n", f.out, surf.Len())
		return nil
	}
	if sc.Resumed > 0 {
		fmt.Fprintf(os.Stderr, "%s: resuming, %d of %d points already computed\n", f.out, sc.Resumed, surf.Len())
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
		return surf.Save(f.out)
	})
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	fmt.Printf("%s: %d points; max_eig %.4g … %.4g, min_eig %.4g … %.4g\n", f.out, surf.Len(),
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
