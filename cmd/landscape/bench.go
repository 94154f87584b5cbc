package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"landscape/direction"
	"landscape/engine"
	"landscape/model"
	"landscape/scan"
)

type benchFlags struct {
	model            string
	images, points   int
	hw, inC, classes int
	batch, workers   int
	seed             int64
	dev              deviceFlags
}

func benchCmd() *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "bench --model M [--images N] [--points P]",
		Short: "Measure scan speed (images/s, points/s, GFLOP/s) on synthetic data",
		Long: `Times a scan of P grid points, each over N synthetic images, with random weights and
filter-normalised random directions, as ../shared/peer/torch_scan.py does in PyTorch: the
first point is a warm-up (on at most two batches), the P points after it are timed.`,
		Example: "  landscape bench --model resnet56 --images 512 --points 4\n  landscape bench --model resnet20 --device gpu --precision tf32 --images 50000 --points 16",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "resnet56", "zoo network, or FILE.onnx (its graph and input shape; random weights)")
	fl.IntVar(&f.images, "images", 256, "images per point")
	fl.IntVar(&f.points, "points", 4, "grid points timed")
	fl.IntVar(&f.hw, "hw", 32, "image height and width")
	fl.IntVar(&f.inC, "in-ch", 3, "image channels")
	fl.IntVar(&f.classes, "classes", 10, "classes")
	fl.IntVar(&f.batch, "batch-size", 0, "images per engine call (0: the engine's choice)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "CPU worker goroutines")
	fl.Int64Var(&f.seed, "seed", 0, "seed of weights, data and directions")
	f.dev.register(c)
	return c
}

// benchProblem is a random network, synthetic data and filter-normalised directions.
func benchProblem(f *benchFlags) (*engine.Problem, error) {
	if f.images < 1 || f.points < 1 {
		return nil, fmt.Errorf("--images %d --points %d: want at least 1 of each", f.images, f.points)
	}
	p, err := engine.RandomProblem(f.model, model.Config{InC: f.inC, HW: f.hw, Classes: f.classes}, f.images, f.seed,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	return p, nil
}

// benchGrid spreads P points over [-1,1]² as torch_scan.py does.
func benchGrid(p int) []engine.Point {
	side := max(1, int(math.Ceil(math.Sqrt(float64(p)))))
	den := float64(max(1, side-1))
	pts := make([]engine.Point, p)
	for i := range pts {
		pts[i] = engine.Point{A: -1 + 2*float64(i%side)/den, B: -1 + 2*float64(i/side)/den}
	}
	return pts
}

func runBench(ctx context.Context, f *benchFlags) error {
	if err := f.dev.validate(); err != nil {
		return err
	}
	p, err := benchProblem(f)
	if err != nil {
		return err
	}
	engines, opt, closeEngines, err := f.dev.open(ctx, p, f.workers, f.batch)
	if err != nil {
		return err
	}
	defer closeEngines()
	pts := benchGrid(f.points)
	all := make([]int, len(pts))
	for i := range all {
		all[i] = i
	}
	losses := make([]float64, len(pts))
	// Warm-up: the first point on the first images.
	warm := *p
	warm.Data = p.Data.Slice(0, min(p.Data.N, 256))
	if err := scan.Run(ctx, &warm, pts[:1], []int{0}, engines, opt, func(int, float64, float64) {}); err != nil {
		return err
	}
	start := time.Now()
	err = scan.Run(ctx, p, pts, all, engines, opt, func(k int, loss, _ float64) { losses[k] = loss })
	el := time.Since(start).Seconds()
	if err != nil {
		return err
	}
	imgs := float64(f.points * f.images)
	extra := ""
	if f.dev.precision != "fp32" {
		e, err := precisionError(ctx, f, p, pts, all, losses)
		if err != nil {
			return err
		}
		extra = fmt.Sprintf(" loss_rel_err_vs_fp32=%.2e", e)
	}
	fmt.Printf("engine=%s device=%s precision=%s model=%s images=%d points=%d workers=%d img_per_s=%.1f points_per_s=%.3f gflops=%.1f loss0=%.5f%s\n",
		engines[0].Name(), f.dev.device, f.dev.precision, f.model, f.images, f.points, len(engines),
		imgs/el, float64(f.points)/el, imgs*p.Net.FLOPs()/el/1e9, losses[0], extra)
	fmt.Fprintf(os.Stderr, "(%d images x %d points in %.2f s; %.1f MFLOP per image)\n", f.images, f.points, el, p.Net.FLOPs()/1e6)
	return nil
}

// precisionError recomputes the points in fp32 on the same device and returns the largest
// relative loss difference of the reduced-precision run.
func precisionError(ctx context.Context, f *benchFlags, p *engine.Problem, pts []engine.Point, all []int, losses []float64) (float64, error) {
	ref := f.dev
	ref.precision = "fp32"
	engines, opt, closeEngines, err := ref.open(ctx, p, f.workers, f.batch)
	if err != nil {
		return 0, err
	}
	defer closeEngines()
	worst := 0.0
	err = scan.Run(ctx, p, pts, all, engines, opt, func(k int, loss, _ float64) {
		worst = math.Max(worst, math.Abs(losses[k]-loss)/math.Abs(loss))
	})
	return worst, err
}
