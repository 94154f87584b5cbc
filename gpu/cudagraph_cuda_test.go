//go:build cuda

package gpu

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// TestCUDAGraphsOnDevice evaluates resnet20 with CUDA graphs and with direct launches
// (LANDSCAPE_GPU_GRAPH=0) over calls with other points, other image ranges and partial groups
// and batches, and requires the same sums: bit for bit when two direct runs agree bit for bit
// (deterministic kernels), else within 1e-6. It prints one "cudagraph ..." line per
// configuration with the wall time of a small-batch Evaluate each way (the device check shows it).
func TestCUDAGraphsOnDevice(t *testing.T) {
	p, err := engine.RandomProblem("resnet20", model.Config{InC: 3, HW: 32, Classes: 10}, 100, 1,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		t.Fatal(err)
	}
	var pts []engine.Point
	for i := range 23 {
		pts = append(pts, engine.Point{A: -1 + 0.09*float64(i), B: 0.8 - 0.07*float64(i)})
	}
	calls := []struct {
		pts    []engine.Point
		lo, hi int
	}{{pts[:8], 0, 100}, {pts[8:16], 0, 100}, {pts[16:], 10, 91}}
	open := func(o Options, graphs string) *Engine {
		t.Setenv(GraphEnv, graphs)
		e, err := Open(p, o)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	evaluate := func(e *Engine) [][]engine.Sums {
		var out [][]engine.Sums
		for _, c := range calls {
			s, err := e.Evaluate(context.Background(), c.pts, c.lo, c.hi)
			if err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			out = append(out, s)
		}
		return out
	}
	for _, o := range []Options{{Precision: "fp32"}, {Precision: "tf32"}, {Precision: "bf16"}, {Kernels: "reference"}} {
		o.Points, o.Images = 4, 16
		d, g := open(o, "0"), open(o, "1")
		want, got, again := evaluate(d), evaluate(g), evaluate(d)
		if g.graphs == nil || g.graphs.off != nil || g.graphs.replays == 0 {
			t.Fatalf("%s: graphs not used (cache %v)", g.Name(), g.graphs)
		}
		tol := 0.0
		if maxLossDiff(again, want) != 0 {
			tol = 1e-6
		}
		worst := maxLossDiff(got, want)
		if worst > tol {
			t.Errorf("%s: graphs vs direct: max loss rel diff %.3g (tol %g)", g.Name(), worst, tol)
		}
		name, caps, reps := g.Name(), g.graphs.captures, g.graphs.replays
		d.Close()
		g.Close()
		o.Images = 4
		d, g = open(o, "0"), open(o, "1")
		// Small batches, where the launches' host cost shows: the best of 5 of each way.
		dms, gms := bestEvalMs(t, d, pts[:4], 64), bestEvalMs(t, g, pts[:4], 64)
		d.Close()
		g.Close()
		fmt.Printf("cudagraph resnet20 %s: graphs vs direct max loss rel diff %.3g (tol %g); %d graphs captured, %d replayed; K=4 B=4 64 images: direct_ms=%.2f graph_ms=%.2f\n",
			name, worst, tol, caps, reps, dms, gms)
	}
}

// maxLossDiff is the largest relative difference of two runs' loss sums, +Inf when a correct
// count differs.
func maxLossDiff(a, b [][]engine.Sums) float64 {
	worst := 0.0
	for i := range a {
		for k := range a[i] {
			if a[i][k].Correct != b[i][k].Correct {
				return math.Inf(1)
			}
			worst = math.Max(worst, math.Abs(a[i][k].Loss-b[i][k].Loss)/math.Abs(b[i][k].Loss))
		}
	}
	return worst
}

// bestEvalMs is the best of 5 times (ms) of e evaluating pts on images [0, n).
func bestEvalMs(t *testing.T, e *Engine, pts []engine.Point, n int) float64 {
	best := math.Inf(1)
	for range 5 {
		t0 := time.Now()
		if _, err := e.Evaluate(context.Background(), pts, 0, n); err != nil {
			t.Fatal(err)
		}
		best = math.Min(best, time.Since(t0).Seconds()*1e3)
	}
	return best
}
