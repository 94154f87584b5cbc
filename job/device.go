package job

import (
	"context"
	"fmt"

	"landscape/cpu"
	"landscape/engine"
	"landscape/sched"
)

// Device chooses the compute engines.
type Device struct {
	Device    string // "auto": GPU engines when a working GPU is there, else the CPU; "gpu"; "cpu"
	Precision string // "fp32", "tf32" (GPU only) or "bf16" (GPU tensor cores, or the CPU engine's bfloat16 products)
	// Worker is the landscape-gpu worker's path ("": next to landscape, then $PATH);
	// WorkerEngine the engine it serves ("cpu" tests the worker protocol without a GPU).
	Worker, WorkerEngine string
	// GPU starts the GPU engines: the landscape-gpu workers' client (cmd/landscape gives it),
	// or a stand-in in tests. Nil: no GPU client, so "auto" computes on the CPU and "gpu" fails.
	GPU GPUEngines
}

// GPUEngines starts GPU engines for a problem as d says.
type GPUEngines func(ctx context.Context, p *engine.Problem, d Device, log Logf) ([]engine.Engine, error)

// Validate checks the values, naming the flags at fault, and selects the CPU kernels
// $LANDSCAPE_CPU_KERNELS and $LANDSCAPE_CPU_BF16_KERNELS name (cpu.UseKernelsFromEnv).
func (d Device) Validate() error {
	switch d.Device {
	case "auto", "cpu", "gpu":
	default:
		return fmt.Errorf("--device %q: want auto, cpu or gpu", d.Device)
	}
	switch d.Precision {
	case "fp32", "tf32", "bf16":
	default:
		return fmt.Errorf("--precision %q: want fp32, tf32 or bf16", d.Precision)
	}
	if d.Device == "cpu" && d.Precision == "tf32" {
		return fmt.Errorf("--precision tf32 needs --device gpu (the CPU engine computes in fp32 or bf16)")
	}
	return cpu.UseKernelsFromEnv() // before cpu.KernelName is recorded or an engine made
}

// Engines are the engines of one scan with the scheduler's options.
type Engines struct {
	List []engine.Engine
	// Kind is what computes the points: "gpu" or "cpu" (surface.Settings.Engine).
	Kind    string
	Options sched.Options
}

// Close closes every engine.
func (e *Engines) Close() {
	for _, x := range e.List {
		x.Close()
	}
}

// Open returns the engines for p: GPU engines unless Device is "cpu" (an fp32 GPU scan falls
// back on workers CPU engines when every GPU engine has failed; tf32 and bf16 scans stop
// instead), else workers CPU engines. batch is the images per task (0: the engines' choice).
func (d Device) Open(ctx context.Context, p *engine.Problem, workers, batch int, log Logf) (*Engines, error) {
	log = log.orDiscard()
	if workers < 1 {
		return nil, fmt.Errorf("--workers %d: want at least 1", workers)
	}
	opt := sched.Options{Images: batch, Log: log}
	if d.Device != "cpu" {
		es, err := d.tryGPU(ctx, p, log)
		if err == nil {
			if d.Precision == "fp32" { // the CPU would compute a tf32/bf16 scan's points in fp32
				opt.Fallback, opt.FallbackWorkers = cpu.New, workers
			}
			kind := "gpu"
			if d.WorkerEngine == "cpu" {
				kind = "cpu"
			}
			return &Engines{List: es, Kind: kind, Options: opt}, nil
		}
		if d.Device == "gpu" {
			return nil, fmt.Errorf("--device gpu: %w", err)
		}
		if d.Precision == "tf32" {
			return nil, fmt.Errorf("--precision tf32 needs a GPU, and there is no usable one (%v); use --precision fp32 or bf16 on the CPU", err)
		}
		log("no usable GPU (%v); computing on the CPU with %d workers", err, workers)
	}
	out := &Engines{Kind: "cpu", Options: opt}
	co := d.CPUOptions()
	if co.BF16 {
		log("CPU engine in bfloat16 with the %s kernels", cpu.PlanKernelName(p.Plan, co))
	}
	for range workers {
		e, err := cpu.NewWith(p, co)
		if err != nil {
			out.Close()
			return nil, err
		}
		out.List = append(out.List, e)
	}
	return out, nil
}

// CPUOptions are the CPU engine's options for d's precision (bfloat16 products for "bf16").
func (d Device) CPUOptions() cpu.Options { return cpu.Options{BF16: d.Precision == "bf16"} }

func (d Device) tryGPU(ctx context.Context, p *engine.Problem, log Logf) ([]engine.Engine, error) {
	if d.GPU == nil {
		return nil, fmt.Errorf("this build has no GPU client")
	}
	return d.GPU(ctx, p, d, log)
}
