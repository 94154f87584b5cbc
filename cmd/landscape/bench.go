package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"landscape/internal/cpuinfo"
	"landscape/job"
)

type benchFlags struct {
	spec job.BenchSpec
	dev  deviceFlags
}

func benchCmd() *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "bench --model M [--images N] [--points P]",
		Short: "Measure scan speed (images/s, points/s, GFLOP/s) on synthetic data",
		Long: `Times a scan of P grid points, each over N synthetic images, with random weights and
filter-normalised random directions, as ../shared/peer/torch_scan.py does in PyTorch: every
engine first evaluates the first point on at most 256 images (warm-up, not timed), then the
P points are timed.`,
		Example: "  landscape bench --model resnet56 --images 512 --points 4\n  landscape bench --model resnet20 --device gpu --precision tf32 --images 50000 --points 16",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), f) },
	}
	s := &f.spec
	fl := c.Flags()
	fl.StringVar(&s.Model, "model", "resnet56", "zoo network, or FILE.onnx (its graph and input shape; random weights)")
	fl.IntVar(&s.Images, "images", 256, "images per point")
	fl.IntVar(&s.Points, "points", 4, "grid points timed")
	fl.IntVar(&s.HW, "hw", 32, "image height and width")
	fl.IntVar(&s.InC, "in-ch", 3, "image channels")
	fl.IntVar(&s.Classes, "classes", 10, "classes")
	fl.IntVar(&s.Batch, "batch-size", 0, "images per engine call (0: the engine's choice)")
	fl.IntVar(&s.Workers, "workers", runtime.NumCPU(), "CPU worker goroutines")
	fl.Int64Var(&s.Seed, "seed", 0, "seed of weights, data and directions")
	f.dev.register(c)
	return c
}

func runBench(ctx context.Context, f *benchFlags) error {
	f.spec.Device, f.spec.Log = f.dev.Device, logStderr
	r, err := job.Bench(ctx, f.spec)
	if err != nil {
		return err
	}
	s := f.spec
	imgs := float64(s.Points * s.Images)
	extra := ""
	if r.HasError {
		extra = fmt.Sprintf(" loss_rel_err_vs_fp32=%.2e", r.RelErr)
	}
	fmt.Printf("engine=%s device=%s precision=%s model=%s images=%d points=%d workers=%d img_per_s=%.1f points_per_s=%.3f gflops=%.1f loss0=%.5f%s cpu_kernel=%s cpu=%q\n",
		r.Engine, s.Device.Device, s.Device.Precision, s.Model, s.Images, s.Points, r.Engines,
		imgs/r.Seconds, float64(s.Points)/r.Seconds, imgs*r.FLOPs/r.Seconds/1e9, r.Loss0, extra, r.Kernel, cpuinfo.Model())
	fmt.Fprintf(os.Stderr, "(%d images x %d points in %.2f s; %.1f MFLOP per image)\n", s.Images, s.Points, r.Seconds, r.FLOPs/1e6)
	return nil
}
