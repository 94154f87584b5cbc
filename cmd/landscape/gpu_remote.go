package main

import (
	"context"
	"fmt"
	"os"

	"landscape/engine"
	"landscape/gpu/remote"
)

// The GPU engine runs in landscape-gpu worker processes (one per GPU) reached through the
// pure-Go client gpu/remote: this binary never links the CUDA driver.
func init() {
	gpuEngines = func(ctx context.Context, p *engine.Problem, d *deviceFlags) ([]engine.Engine, error) {
		return remote.Engines(ctx, p, remote.Options{
			Worker:    d.worker,
			Precision: d.precision,
			Engine:    d.workerEngine,
			Log:       func(f string, a ...any) { fmt.Fprintf(os.Stderr, "landscape: "+f+"\n", a...) },
		})
	}
}
