package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"landscape/cpu"
	"landscape/engine"
	"landscape/scan"
)

// deviceFlags choose the compute engine.
type deviceFlags struct {
	device, precision    string
	worker, workerEngine string // the GPU worker's path and engine (hidden; "cpu" tests the protocol)
}

func (d *deviceFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&d.device, "device", "auto", "auto: a working GPU, else the CPU; gpu: fail without one; cpu")
	c.Flags().StringVar(&d.precision, "precision", "fp32", "GPU arithmetic: fp32 (exact), tf32 or bf16 (tensor cores)")
	c.Flags().StringVar(&d.worker, "gpu-worker", "", "path of the landscape-gpu worker (default: next to landscape, then $PATH)")
	c.Flags().StringVar(&d.workerEngine, "gpu-worker-engine", "gpu", "engine the workers serve (cpu: test the worker protocol without a GPU)")
	c.Flags().MarkHidden("gpu-worker-engine")
}

func (d *deviceFlags) validate() error {
	switch d.device {
	case "auto", "cpu", "gpu":
	default:
		return fmt.Errorf("--device %q: want auto, cpu or gpu", d.device)
	}
	switch d.precision {
	case "fp32", "tf32", "bf16":
	default:
		return fmt.Errorf("--precision %q: want fp32, tf32 or bf16", d.precision)
	}
	if d.device == "cpu" && d.precision != "fp32" {
		return fmt.Errorf("--precision %s needs --device gpu (the CPU engine computes in fp32)", d.precision)
	}
	return nil
}

// gpuEngines starts GPU engines for a problem; set by gpu_remote.go when the GPU client is built in.
var gpuEngines func(ctx context.Context, p *engine.Problem, d *deviceFlags) ([]engine.Engine, error)

// engines returns the engines to scan with and the scheduler options (CPU fallback for GPUs).
func (d *deviceFlags) engines(ctx context.Context, p *engine.Problem, workers int) ([]engine.Engine, scan.Options, error) {
	opt := scan.Options{Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "landscape: "+f+"\n", a...) }}
	if workers < 1 {
		return nil, opt, fmt.Errorf("--workers %d: want at least 1", workers)
	}
	if d.device != "cpu" {
		es, err := d.tryGPU(ctx, p)
		if err == nil {
			if d.precision == "fp32" { // the CPU would compute a tf32/bf16 scan's points in fp32
				opt.Fallback, opt.FallbackWorkers = cpu.New, workers
			}
			return es, opt, nil
		}
		if d.device == "gpu" {
			return nil, opt, fmt.Errorf("--device gpu: %w", err)
		}
		if d.precision != "fp32" {
			return nil, opt, fmt.Errorf("--precision %s needs a GPU, and there is no usable one (%v); use --precision fp32 on the CPU", d.precision, err)
		}
		fmt.Fprintf(os.Stderr, "landscape: no usable GPU (%v); computing on the CPU with %d workers\n", err, workers)
	}
	var es []engine.Engine
	for range workers {
		e, err := cpu.New(p)
		if err != nil {
			return nil, opt, err
		}
		es = append(es, e)
	}
	return es, opt, nil
}

func (d *deviceFlags) tryGPU(ctx context.Context, p *engine.Problem) ([]engine.Engine, error) {
	if gpuEngines == nil {
		return nil, fmt.Errorf("this build has no GPU client")
	}
	return gpuEngines(ctx, p, d)
}

// open is engines with the scheduler's images per task set to batch (0: the engines' choice),
// and a function that closes them all.
func (d *deviceFlags) open(ctx context.Context, p *engine.Problem, workers, batch int) ([]engine.Engine, scan.Options, func(), error) {
	es, opt, err := d.engines(ctx, p, workers)
	if err != nil {
		return nil, opt, nil, err
	}
	opt.Images = batch
	return es, opt, func() {
		for _, e := range es {
			e.Close()
		}
	}, nil
}
