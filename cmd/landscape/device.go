package main

import (
	"github.com/spf13/cobra"

	"landscape/job"
)

// deviceFlags are the flags that choose the compute engine (job.Device).
type deviceFlags struct{ job.Device }

func (d *deviceFlags) register(c *cobra.Command) {
	d.GPU = remoteGPU
	c.Flags().StringVar(&d.Device.Device, "device", "auto", "auto: a working GPU, else the CPU; gpu: fail without one; cpu")
	c.Flags().StringVar(&d.Precision, "precision", "fp32", "arithmetic: fp32 (exact), tf32 (GPU tensor cores) or bf16 (GPU tensor cores; on the CPU bfloat16 products accumulated in fp32, on AMX or AVX512-BF16 where present)")
	c.Flags().StringVar(&d.Worker, "gpu-worker", "", "path of the landscape-gpu worker (default: next to landscape, then $PATH)")
	c.Flags().StringVar(&d.WorkerEngine, "gpu-worker-engine", "gpu", "engine the workers serve (cpu: test the worker protocol without a GPU)")
	c.Flags().MarkHidden("gpu-worker-engine")
}
