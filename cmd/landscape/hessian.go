package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"landscape/hessian"
	"landscape/job"
)

func init() { extraCommands = append(extraCommands, hessianCmd) }

type hessianFlags struct {
	model, weights            string
	input                     inputFlags
	top                       int
	trace                     bool
	tol                       float64
	maxSamples                int
	density                   string
	densityRuns, densitySteps int
	lanczosTol                float64
	maxSteps                  int
	seed                      uint64
	out, device               string
	chunk, workers            int
	quiet                     bool
	grid                      gridFlags
}

func hessianCmd() *cobra.Command {
	f := &hessianFlags{}
	c := &cobra.Command{
		Use:   "hessian --model M --weights W.safetensors --data KIND:PATH [--top K] [--trace] [--density FILE.png] [--out FILE.json]",
		Short: "Curvature of the loss: top and smallest Hessian eigenvalues, trace, spectral density; eigenvalue maps",
		Long: `Computes, from exact Hessian-vector products of the mean cross-entropy over the selected
examples (every trainable parameter: conv/linear weights and biases, batch-norm scale and
shift, and in an imported .onnx graph — CNNs and vision transformers, Swin included —
layer-norm scale and shift, class and distillation tokens, position embeddings, relative
position bias tables and parameters of arithmetic such as
layer scales; batch norm in evaluation mode), at the weights θ:
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
      --x -1:1:11 --y -1:1:11 --out eig_map.npz
  landscape hessian --model mobilenet.onnx --data cifar10:./cifar --limit 500 --top 2 --trace
  landscape hessian --model vit.onnx --data cifar10:./cifar --limit 500 --top 1 --density vit_esd.png`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if f.grid.x != "" {
				return runHessianMap(f)
			}
			return runHessian(f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "zoo network or FILE.onnx (as scan)")
	fl.StringVar(&f.weights, "weights", "", "the weights θ: a PyTorch state_dict saved as .safetensors (for a .onnx model: optional, replaces its own)")
	f.input.register(c, "evaluate on")
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
	for _, req := range []string{"model", "data"} { // --weights: for zoo networks (job.PrepareHessian)
		c.MarkFlagRequired(req)
	}
	return c
}

// request is the flags of the curvature at θ, as job's spec.
func (f *hessianFlags) request() hessian.Request {
	return hessian.Request{Top: f.top, Trace: f.trace, TraceTol: f.tol, MaxSamples: f.maxSamples,
		DensityOpt: hessian.DensityOptions{Runs: f.densityRuns, Steps: f.densitySteps}, Options: f.lanczos()}
}

func (f *hessianFlags) lanczos() hessian.Options {
	return hessian.Options{Tol: f.lanczosTol, MaxSteps: f.maxSteps, Seed: f.seed}
}

func runHessian(f *hessianFlags) error {
	in, err := f.input.input()
	if err != nil {
		return err
	}
	h, err := job.PrepareHessian(job.HessianSpec{Model: f.model, Weights: f.weights, Input: in, Chunk: f.chunk, Workers: f.workers, Request: f.request(), Device: f.device, Density: f.density,
		Title: fmt.Sprintf("%s Hessian spectral density", f.model), Out: f.out})
	if err != nil {
		return err
	}
	fmt.Printf("model=%s params=%d examples=%d split=%s\n", f.model, h.HVP.Dim(), h.Data.N, in.Split)
	bar := newBar(h.Products(), "HVPs", f.quiet)
	rep, written, err := h.Run(func() { bar.Add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	if e := rep.Extremes; e != nil {
		fmt.Printf("top_eigenvalues=%s min_eigenvalue=%.6g lanczos_steps=%d converged=%v\n", floats(e.Top), e.Min, e.Steps, e.Converged)
	}
	if rep.Trace != nil {
		fmt.Printf("trace=%.6g trace_stderr=%.3g trace_samples=%d\n", *rep.Trace, *rep.TraceStdErr, *rep.TraceSamples)
	}
	for _, p := range written {
		fmt.Println(p)
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
