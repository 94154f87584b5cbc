// Package bench holds the engines' Go benchmarks and, in RESULTS.md, every measured figure with
// the command, machine and date that produced it.
package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"landscape/cpu"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/cputime"
	"landscape/internal/enginetest"
	"landscape/model"
)

func problem(b *testing.B, name string, images int) *engine.Problem {
	p, err := engine.RandomProblem(name, model.Config{InC: 3, HW: 32, Classes: 10}, images, 1,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCPUEngine measures one CPU engine (one core) evaluating one point on a batch of
// 32x32 images; img/s and GFLOP/s are per core.
func BenchmarkCPUEngine(b *testing.B) {
	for _, name := range []string{"resnet20", "resnet56"} {
		b.Run(name, func(b *testing.B) {
			const images = 32
			p := problem(b, name, images)
			e, _ := cpu.New(p)
			measure(b, e, p, images)
		})
	}
}

// BenchmarkCPUBatch measures one CPU engine (one core) on 64 images for several numbers of
// images per forward pass (cpu.NewBatch; cpu.New uses cpu.DefaultBatch).
func BenchmarkCPUBatch(b *testing.B) {
	for _, name := range []string{"resnet20", "resnet56"} {
		for _, batch := range []int{1, 2, 4, 8, 16, 32} {
			b.Run(fmt.Sprintf("%s/batch%d", name, batch), func(b *testing.B) {
				const images = 64
				p := problem(b, name, images)
				e, err := cpu.NewBatch(p, batch)
				if err != nil {
					b.Fatal(err)
				}
				measure(b, e, p, images)
			})
		}
	}
}

// BenchmarkPrepare measures making one weight set and folding batch norm into it (done once per
// point), as enginetest.Folded, the engines' reference, does.
func BenchmarkPrepare(b *testing.B) {
	p := problem(b, "resnet56", 1)
	for i := range b.N {
		enginetest.Folded(p, engine.Point{A: float64(i), B: 0})
	}
}

// measure times e evaluating one point on images [0, images) b.N times, after a call that
// prepares the weight set, and reports img/s and GFLOP/s, and img/cpu-s: images per second of
// the process's CPU time (with GOMAXPROCS=1, the one core's speed even on a loaded machine,
// where wall time counts the waits for a core).
func measure(b *testing.B, e engine.Engine, p *engine.Problem, images int) {
	pt := []engine.Point{{A: 0.1, B: -0.2}}
	e.Evaluate(context.Background(), pt, 0, 1)
	b.ResetTimer()
	cpu0 := cputime.Process().Seconds()
	defer func() {
		if c := cputime.Process().Seconds() - cpu0; c > 0 {
			b.ReportMetric(float64(b.N*images)/c, "img/cpu-s")
		}
	}()
	for range b.N {
		if _, err := e.Evaluate(context.Background(), pt, 0, images); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*images)/s, "img/s")
	b.ReportMetric(float64(b.N*images)*p.Net.FLOPs()/s/1e9, "GFLOP/s")
}

// BenchmarkCPUEngineONNX is BenchmarkCPUEngine on the same networks read from ONNX files
// written as PyTorch exports them (enginetest.ZooGraph): the graph path's speed.
func BenchmarkCPUEngineONNX(b *testing.B) {
	for _, name := range []string{"resnet20", "resnet56"} {
		b.Run(name, func(b *testing.B) {
			const images = 32
			zoo, err := model.Build(name, model.Config{InC: 3, HW: 32, Classes: 10})
			if err != nil {
				b.Fatal(err)
			}
			g, out := enginetest.ZooGraph(zoo, model.Init(zoo, 1))
			path := filepath.Join(b.TempDir(), name+".onnx")
			if err := g.Write(path, out, 10); err != nil {
				b.Fatal(err)
			}
			p := problem(b, path, images)
			e, _ := cpu.New(p)
			measure(b, e, p, images)
		})
	}
}
