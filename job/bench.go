package job

import (
	"context"
	"fmt"
	"math"
	"time"

	"landscape/cpu"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
	"landscape/sched"
)

// BenchSpec is a speed measurement: P grid points, each over N synthetic images, on a random
// network with filter-normalised random directions, as ../shared/peer/torch_scan.py does.
type BenchSpec struct {
	Model            string
	Images, Points   int
	HW, InC, Classes int
	Batch, Workers   int
	Seed             int64
	Device           Device
	Log              Logf
}

// BenchResult is what Bench measured.
type BenchResult struct {
	Engine   string  // the first engine's name
	Engines  int     // how many engines ran
	Seconds  float64 // the timed scan, warm-up excluded
	FLOPs    float64 // per image
	Loss0    float64 // the loss at the first point
	RelErr   float64 // tf32/bf16: the largest relative loss difference to fp32 on the same device
	HasError bool    // whether RelErr was measured
	Kernel   string  // the CPU kernels (cpu.PlanKernelName), for the record
}

// Bench times a scan of Points points after a warm-up call of every engine on the first
// point and at most 256 images.
func Bench(ctx context.Context, s BenchSpec) (*BenchResult, error) {
	if s.Images < 1 || s.Points < 1 {
		return nil, fmt.Errorf("--images %d --points %d: want at least 1 of each", s.Images, s.Points)
	}
	if err := s.Device.Validate(); err != nil {
		return nil, err
	}
	p, err := engine.RandomProblem(s.Model, model.Config{InC: s.InC, HW: s.HW, Classes: s.Classes}, s.Images, s.Seed,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	es, err := s.Device.Open(ctx, p, s.Workers, s.Batch, s.Log)
	if err != nil {
		return nil, err
	}
	defer es.Close()
	pts := BenchGrid(s.Points)
	if t := sched.Tasks(es.Options, es.List, len(pts), p.Data.N); t < len(es.List) && s.Log != nil {
		s.Log("bench: %d point(s) of %d images make %d task(s) for %d engines: only %d compute at once (give more points or images to time them all)",
			len(pts), p.Data.N, t, len(es.List), t)
	}
	for _, e := range es.List { // warm-up
		if _, err := e.Evaluate(ctx, pts[:1], 0, min(p.Data.N, 256)); err != nil {
			return nil, fmt.Errorf("warm-up on %s: %w", e.Name(), err)
		}
	}
	losses, el, err := timedScan(ctx, p, pts, es)
	if err != nil {
		return nil, err
	}
	r := &BenchResult{Engine: es.List[0].Name(), Engines: len(es.List), Seconds: el, FLOPs: p.Net.FLOPs(), Loss0: losses[0],
		Kernel: cpu.PlanKernelName(p.Plan, s.Device.CPUOptions())}
	if s.Device.Precision != "fp32" {
		ref := s.Device
		ref.Precision = "fp32"
		fes, err := ref.Open(ctx, p, s.Workers, s.Batch, s.Log)
		if err != nil {
			return nil, err
		}
		defer fes.Close()
		exact, _, err := timedScan(ctx, p, pts, fes)
		if err != nil {
			return nil, err
		}
		for k := range losses {
			r.RelErr = math.Max(r.RelErr, math.Abs(losses[k]-exact[k])/math.Abs(exact[k]))
		}
		r.HasError = true
	}
	return r, nil
}

func timedScan(ctx context.Context, p *engine.Problem, pts []engine.Point, es *Engines) ([]float64, float64, error) {
	all := make([]int, len(pts))
	for i := range all {
		all[i] = i
	}
	losses := make([]float64, len(pts))
	start := time.Now()
	err := sched.Run(ctx, p, pts, all, es.List, es.Options, func(k int, loss, _ float64) { losses[k] = loss })
	return losses, time.Since(start).Seconds(), err
}

// BenchGrid spreads p points over [-1,1]² as torch_scan.py does.
func BenchGrid(p int) []engine.Point {
	side := max(1, int(math.Ceil(math.Sqrt(float64(p)))))
	den := float64(max(1, side-1))
	pts := make([]engine.Point, p)
	for i := range pts {
		pts[i] = engine.Point{A: -1 + 2*float64(i%side)/den, B: -1 + 2*float64(i/side)/den}
	}
	return pts
}
