package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"landscape/job"
	"landscape/surface"
)

type scanFlags struct {
	spec   job.ScanSpec
	input  inputFlags
	dev    deviceFlags
	quiet  bool
	view   string // serve the live page of --out here (scanview.go)
	shard  string
	shards int
}

func scanCmd() *cobra.Command {
	f := &scanFlags{}
	c := &cobra.Command{
		Use:   "scan --model M --weights W.safetensors --data KIND:PATH --x MIN:MAX:NUM [--y MIN:MAX:NUM] --out FILE.npz",
		Short: "Evaluate loss and accuracy on a 1D line or 2D grid around the weights",
		Long: `Evaluates L(θ + x·δ + y·η) — mean cross-entropy and accuracy over the selected examples —
at every point of linspace(MIN, MAX, NUM) (× the y axis for 2D), with δ, η random Gaussian
directions normalised per filter (Li et al. 2018), directions from --dirs, or δ = W2 − W for
1D interpolation with --weights2. Results go to an .npz file (the paper code's keys; 2D arrays
Z[j, i] of shape (ny, nx), as np.meshgrid) that is replaced atomically as points complete;
running the same command again computes only the missing points.`,
		Example: `  landscape scan --model resnet20 --weights resnet20.safetensors --data cifar10:./cifar-10-batches-bin \
      --x -1:1:51 --y -1:1:51 --out resnet20_2d.npz
  landscape scan --model resnet20 --weights a.safetensors --weights2 b.safetensors --data cifar10:./cifar \
      --x -0.5:1.5:41 --dir-type states --out interp.npz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScan(cmd.Context(), f) },
	}
	s := &f.spec
	fl := c.Flags()
	fl.StringVar(&s.Model, "model", "", "zoo network: resnet20/32/44/56/110 or any resnet<6n+2>, wrn56-2/4/8 (each also -noshort), vgg9; small: resnetD-cC[-noshort], vgg5-cC; or FILE.onnx")
	fl.StringVar(&s.Weights, "weights", "", "the trained weights θ: a PyTorch state_dict saved as .safetensors")
	fl.StringVar(&s.Weights2, "weights2", "", "a second solution W2: the x direction becomes W2 − W over every parameter (1D interpolation)")
	fl.StringVar(&s.Weights3, "weights3", "", "a third solution W3 (with --weights2 and --y): the y direction becomes W3 − W, the plane through W, W2, W3 at (0,0), (1,0), (0,1)")
	f.input.register(c, "evaluate on")
	fl.StringVar(&s.X, "x", "", "x axis MIN:MAX:NUM")
	fl.StringVar(&s.Y, "y", "", "y axis MIN:MAX:NUM (2D scan)")
	fl.StringVar(&s.Norm, "norm", "filter", "direction normalisation: filter, layer, weight or none")
	fl.StringVar(&s.Ignore, "ignore", "biasbn", "biasbn: zero the directions of biases and BN parameters; none: set them to the weights")
	fl.StringVar(&s.DirType, "dir-type", "weights", "weights: perturb parameters only; states: running_mean/running_var too")
	fl.Int64Var(&s.Seed, "seed", 0, "seed of the random directions")
	fl.StringVar(&s.Dirs, "dirs", "", "safetensors file with tensors x.<name> (and y.<name>) to use instead of a random draw (used as saved when the file records its normalisation, as --save-dirs writes it)")
	fl.StringVar(&s.SaveDirs, "save-dirs", "", "write the directions used, with their normalisation, to this safetensors file")
	fl.IntVar(&s.Batch, "batch-size", 0, "images per engine call (0: the engine's choice)")
	fl.IntVar(&s.Workers, "workers", runtime.NumCPU(), "CPU worker goroutines")
	fl.StringVar(&s.Out, "out", "", "the surface file to write (.npz)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fl.StringVar(&f.view, "view", "", "serve the live page of --out at HOST:PORT while the scan runs (as landscape view --serve)")
	fl.DurationVar(&s.SaveEvery, "save-every", 2*time.Second, "how often the surface file is replaced while points complete")
	fl.DurationVar(&s.Patience, "unwritable-for", time.Minute, "stop and write a rescue file when --out cannot be written for this long")
	fl.MarkHidden("unwritable-for")
	fl.StringVar(&f.shard, "shard", "", "compute only shard I/N, the points k with k mod N = I (k in the file's row-major order); auto: I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX; {shard} in --out becomes I")
	fl.StringVar(&s.Order, "order", "coarse", "the order points are computed in: coarse (coarse to fine: every 2^k-th index per axis, edges included, largest k first, so a partial file is a whole coarser surface) or rows (row-major)")
	fl.Float64Var(&s.Tolerance, "tolerance", 0, "estimate each point from a sample of the data, stopping once the standard error of its mean loss is at most this fraction of it (e.g. 0.01); 0: every image")
	fl.Int64Var(&s.SampleSeed, "sample-seed", 0, "seed of the data order a --tolerance scan samples in (one order shared by every point)")
	fl.IntVar(&f.shards, "shards", 0, "N for --shard auto (default: SLURM_ARRAY_TASK_COUNT)")
	f.dev.register(c)
	for _, req := range []string{"model", "data", "x", "out"} { // --weights: for zoo networks (job.Spec)
		c.MarkFlagRequired(req)
	}
	return c
}

func logStderr(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "landscape: "+format+"\n", args...)
}

func runScan(parent context.Context, f *scanFlags) error {
	if f.spec.SaveEvery <= 0 {
		return fmt.Errorf("--save-every %v: want a positive duration, e.g. 2s", f.spec.SaveEvery)
	}
	in, err := f.input.input()
	if err != nil {
		return err
	}
	f.spec.Input, f.spec.Device, f.spec.Log = in, f.dev.Device, logStderr
	if err := f.spec.UseShard(f.shard, f.shards, os.Getenv); err != nil {
		return err
	}
	sc, err := job.PrepareScan(f.spec)
	if err != nil {
		return err
	}
	out := f.spec.Out
	if len(sc.Todo) == 0 {
		what := fmt.Sprintf("all %d points", sc.Surface.Len())
		if f.spec.Shard != "" {
			what = "every point of shard " + f.spec.Shard
		}
		fmt.Fprintf(os.Stderr, "%s: %s already computed\n", out, what)
		return nil
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer startView(parent, f.view, out)() // stops after the scan's last save
	bar := newBar(len(sc.Todo), "points", f.quiet)
	err = sc.Run(ctx, func() { bar.Add(1) })
	bar.Finish()
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			return errInterrupted
		}
		return err
	}
	summary(sc.Surface, out)
	return nil
}

// summary prints one line: where the surface is and its value at the grid point nearest the origin.
func summary(sf *surface.Surface, out string) {
	if sh := sf.Settings.Shard; sh != "" {
		fmt.Fprintf(os.Stderr, "%s: shard %s done, %d of the %d points; landscape merge joins the shards\n",
			out, sh, sf.Len()-len(sf.Missing()), sf.Len())
		return
	}
	best, bd := 0, -1.0
	for k := range sf.Len() {
		a, b := sf.Coord(k)
		if d := a*a + b*b; bd < 0 || d < bd {
			best, bd = k, d
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d points; at the point nearest the origin loss %.5f, accuracy %.2f%%\n",
		out, sf.Len(), sf.Loss[best], sf.Acc[best])
	if note := sf.SampleNote(); note != "" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", out, note)
	}
}
