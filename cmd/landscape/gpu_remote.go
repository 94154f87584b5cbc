package main

import (
	"context"

	"landscape/engine"
	"landscape/gpu/remote"
	"landscape/job"
)

// remoteGPU is job.Device's GPU: the GPU engine runs in landscape-gpu worker processes (one per
// GPU) reached through the pure-Go client gpu/remote, so this binary never links the CUDA driver.
func remoteGPU(ctx context.Context, p *engine.Problem, d job.Device, log job.Logf) ([]engine.Engine, error) {
	return remote.Engines(ctx, p, remote.Options{
		Worker:    d.Worker,
		Precision: d.Precision,
		Engine:    d.WorkerEngine,
		Log:       log,
	})
}
