package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/job"
	"landscape/surface"
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

// runHessianMap maps max_eig and min_eig over scan's grid (job.EigenMap) with a progress bar.
func runHessianMap(f *hessianFlags) error {
	switch {
	case f.trace || f.density != "":
		return fmt.Errorf("--trace and --density are computed at θ only; drop --x for them")
	case f.out == "":
		return fmt.Errorf("--x: give --out FILE.npz for the eigenvalue map")
	}
	in, err := f.input.input()
	if err != nil {
		return err
	}
	g := f.grid
	spec := job.EigenMapSpec{ScanSpec: job.ScanSpec{Model: f.model, Weights: f.weights, Weights2: g.weights2, Weights3: g.weights3,
		Input: in, X: g.x, Y: g.y, Norm: g.norm,
		Ignore: g.ignore, DirType: g.dirType, Seed: g.seed, Dirs: g.dirs, SaveDirs: g.saveDirs, Out: f.out,
		Workers: f.workers, Log: logStderr}, Device: f.device, Chunk: f.chunk, Lanczos: f.lanczos()}
	if err := spec.UseShard(g.shard, g.shards, os.Getenv); err != nil {
		return err
	}
	m, err := job.PrepareEigenMap(spec)
	if err != nil {
		return err
	}
	if len(m.Todo) == 0 {
		if err := m.Run(context.Background(), nil); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s: all %d points already computed\n", f.out, m.Surface.Len())
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newBar(len(m.Todo), "points", f.quiet)
	err = m.Run(ctx, func() { bar.Add(1) })
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	}
	hiLo, hiHi := m.Range(surface.MaxEigKey)
	loLo, loHi := m.Range(surface.MinEigKey)
	fmt.Printf("%s: %d points; max_eig %.4g … %.4g, min_eig %.4g … %.4g\n", f.out, m.Surface.Len(), hiLo, hiHi, loLo, loHi)
	return nil
}
