package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"landscape/data"
	"landscape/hessian"
	"landscape/plot"
	"landscape/train"
)

func init() { extraCommands = append(extraCommands, hessianCmd) }

type hessianFlags struct {
	model, weights, dataSpec, split string
	normalize                       string
	limit                           int
	raw                             bool
	top                             int
	trace                           bool
	tol                             float64
	maxSamples                      int
	density                         string
	densityRuns, densitySteps       int
	lanczosTol                      float64
	maxSteps                        int
	seed                            uint64
	out, device                     string
	chunk, workers                  int
	quiet                           bool
	grid                            gridFlags
}

func hessianCmd() *cobra.Command {
	f := &hessianFlags{}
	c := &cobra.Command{
		Use:   "hessian --model M --weights W.safetensors --data KIND:PATH [--top K] [--trace] [--density FILE.png] [--out FILE.json]",
		Short: "Curvature of the loss: top and smallest Hessian eigenvalues, trace, spectral density; eigenvalue maps",
		Long: `Computes, from exact Hessian-vector products of the mean cross-entropy over the selected
examples (every trainable parameter: conv/linear weights and biases, batch-norm scale and
shift; batch norm in evaluation mode), at the weights θ:
  --top K      the K largest eigenvalues and the smallest one (Lanczos, full reorthogonalisation)
  --trace      the trace (Hutchinson, Rademacher vectors; stops when the standard error is
               below --tol × |estimate|, or after --max-samples)
  --density    the spectral density (stochastic Lanczos quadrature, as PyHessian), drawn to a PNG
--out writes what was computed as JSON: top_eigenvalues (descending), min_eigenvalue, trace,
trace_stderr, trace_samples, density {grid, values} (values integrate to 1).

With --x (and --y) as in scan, it maps instead the largest and smallest eigenvalues at every
grid point θ + xδ + yη into a resumable .npz (max_eig, min_eig; landscape plot draws
|min/max|), like the paper's plot_hessian_eigen.py.

The products run on the CPU (--device cpu or auto); a GPU Hessian-vector product is later work.`,
		Example: `  landscape hessian --model resnet20 --weights r20.safetensors --data cifar10:./cifar --limit 1000 \
      --top 3 --trace --density r20_density.png --out r20_hessian.json
  landscape hessian --model resnet20-c4 --weights w.safetensors --data fashion-mnist:DIR --limit 500 \
      --x -1:1:11 --y -1:1:11 --out eig_map.npz`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if f.grid.x != "" {
				return runHessianMap(f)
			}
			return runHessian(f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "zoo network (as scan)")
	fl.StringVar(&f.weights, "weights", "", "the weights θ: a PyTorch state_dict saved as .safetensors")
	fl.StringVar(&f.dataSpec, "data", "", "dataset KIND:PATH, KIND one of "+strings.Join(data.Kinds(), ", "))
	fl.StringVar(&f.split, "split", "train", "train or test")
	fl.IntVar(&f.limit, "limit", 0, "use only the first N examples (0: all)")
	fl.BoolVar(&f.raw, "raw", false, "scale pixels to [0,1] without mean/std normalisation")
	normalizeFlag(c, &f.normalize)
	fl.IntVar(&f.top, "top", 1, "how many of the largest eigenvalues (the smallest is computed too); 0: none")
	fl.BoolVar(&f.trace, "trace", false, "estimate the trace (Hutchinson)")
	fl.Float64Var(&f.tol, "tol", 0.01, "trace: stop when the standard error < tol × |estimate|")
	fl.IntVar(&f.maxSamples, "max-samples", 500, "trace: at most this many Rademacher samples")
	fl.StringVar(&f.density, "density", "", "draw the spectral density (SLQ) to this PNG")
	fl.IntVar(&f.densityRuns, "density-runs", 1, "density: independent Lanczos runs (PyHessian's n_v)")
	fl.IntVar(&f.densitySteps, "density-steps", 100, "density: Lanczos steps per run (PyHessian's iter)")
	fl.Float64Var(&f.lanczosTol, "lanczos-tol", 1e-5, "eigenvalues: stop when every residual bound < tol × |λmax|")
	fl.IntVar(&f.maxSteps, "max-steps", 300, "eigenvalues: at most this many Lanczos steps")
	fl.Uint64Var(&f.seed, "hessian-seed", 0, "seed of the Lanczos start and the probe vectors")
	fl.StringVar(&f.out, "out", "", "at θ: the JSON report; with --x: the eigenvalue map (.npz)")
	fl.StringVar(&f.device, "device", "cpu", "cpu (auto means cpu; a GPU Hessian-vector product is later work)")
	fl.IntVar(&f.chunk, "batch-size", 32, "images per chunk of a product")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "CPU worker goroutines")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	f.grid.register(c)
	for _, req := range []string{"model", "weights", "data"} {
		c.MarkFlagRequired(req)
	}
	return c
}

// loadHessian checks --device and prepares float32 products at θ (hessian.Load).
func loadHessian(f *hessianFlags) (*train.HVP[float32], *data.Set, error) {
	switch f.device {
	case "cpu", "auto":
	case "gpu":
		return nil, nil, errors.New("--device gpu: Hessian-vector products run on the CPU only for now (a GPU HVP is later work); use --device cpu")
	default:
		return nil, nil, fmt.Errorf("--device %q: want cpu (or auto)", f.device)
	}
	dopt, err := dataOptions(f.split, f.limit, f.raw, f.normalize)
	if err != nil {
		return nil, nil, err
	}
	return hessian.Load(hessian.Input{Model: f.model, Weights: f.weights, Data: f.dataSpec, DataOptions: dopt, Chunk: f.chunk, Workers: f.workers})
}

func (f *hessianFlags) request() (hessian.Request, error) {
	r := hessian.Request{Top: f.top, Trace: f.trace, TraceTol: f.tol, MaxSamples: f.maxSamples, Density: f.density != "",
		DensityOpt: hessian.DensityOptions{Runs: f.densityRuns, Steps: f.densitySteps},
		Options:    hessian.Options{Tol: f.lanczosTol, MaxSteps: f.maxSteps, Seed: f.seed}}
	switch {
	case f.top < 0:
		return r, fmt.Errorf("--top %d: want 0 or more", f.top)
	case f.trace && (!(f.tol > 0) || f.maxSamples < 1):
		return r, fmt.Errorf("--tol %g and --max-samples %d: want positive values", f.tol, f.maxSamples)
	case f.density != "" && !strings.HasSuffix(f.density, ".png"):
		return r, fmt.Errorf("--density %q: want a file name ending in .png", f.density)
	case f.density != "" && (f.densityRuns < 1 || f.densitySteps < 2):
		return r, fmt.Errorf("--density-runs %d and --density-steps %d: want at least 1 and 2", f.densityRuns, f.densitySteps)
	case !(f.lanczosTol > 0) || f.maxSteps < 1:
		return r, fmt.Errorf("--lanczos-tol %g and --max-steps %d: want positive values", f.lanczosTol, f.maxSteps)
	}
	return r, nil
}

func runHessian(f *hessianFlags) error {
	r, err := f.request()
	if err != nil {
		return err
	}
	if r.Top == 0 && !r.Trace && !r.Density {
		return errors.New("nothing to compute: give --top K, --trace or --density")
	}
	if f.out != "" && !strings.HasSuffix(f.out, ".json") {
		return fmt.Errorf("--out %q: want a file name ending in .json (or use --x for an eigenvalue map)", f.out)
	}
	h, set, err := loadHessian(f)
	if err != nil {
		return err
	}
	fmt.Printf("model=%s params=%d examples=%d split=%s\n", f.model, h.Dim(), set.N, f.split)
	bar := newBar(r.Products(h.Dim()), "HVPs", f.quiet)
	r.Options.Progress = func() { bar.Add(1) }
	rep, err := hessian.Analyse(hessian.Network(h), r)
	bar.Finish()
	if err != nil {
		return err
	}
	if rep.Extremes != nil {
		e := rep.Extremes
		fmt.Printf("top_eigenvalues=%s min_eigenvalue=%.6g lanczos_steps=%d converged=%v\n", floats(e.Top), e.Min, e.Steps, e.Converged)
	}
	if rep.Trace != nil {
		fmt.Printf("trace=%.6g trace_stderr=%.3g trace_samples=%d\n", *rep.Trace, *rep.TraceStdErr, *rep.TraceSamples)
	}
	if rep.Density != nil {
		p, err := plot.Density(rep.Density.Grid, rep.Density.Values, f.density, fmt.Sprintf("%s Hessian spectral density", f.model))
		if err != nil {
			return err
		}
		fmt.Println(p)
	}
	if f.out != "" {
		if err := rep.WriteJSON(f.out); err != nil {
			return err
		}
		fmt.Println(f.out)
	}
	return nil
}

func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.6g", x)
	}
	return strings.Join(s, ",")
}
