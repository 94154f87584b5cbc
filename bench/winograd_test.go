package bench

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/cputime"
	"landscape/model"
)

// BenchmarkCPUWinograd compares float32 CPU engines (one core) computing the 3×3 stride-1
// convolutions directly (cpu.WinogradOff) and as WinogradAuto chooses, on resnet20 and resnet56
// at 32×32 and the ONNX files named by $LANDSCAPE_TV_ONNX at 224×224: both evaluate the same
// point on the same images alternately in each iteration, timed in the thread's CPU time (steadier
// than wall time on a loaded machine). It reports both engines' img/cpu-s, their ratio
// ("speedup") and the relative difference of their loss sums ("loss-rel").
func BenchmarkCPUWinograd(b *testing.B) {
	type net struct {
		name       string
		hw, images int
	}
	nets := []net{{"resnet20", 32, 64}, {"resnet56", 32, 64}}
	for _, f := range strings.Fields(os.Getenv("LANDSCAPE_TV_ONNX")) {
		nets = append(nets, net{f, 224, 8})
	}
	for _, n := range nets {
		b.Run(strings.TrimSuffix(filepath.Base(n.name), ".onnx"), func(b *testing.B) {
			p, err := engine.RandomProblem(n.name, model.Config{InC: 3, HW: n.hw, Classes: 10}, n.images, 1,
				direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
			if err != nil {
				b.Fatal(err)
			}
			var es [2]*cpu.Engine
			for i, use := range []cpu.WinogradUse{cpu.WinogradOff, cpu.WinogradAuto} {
				if es[i], err = cpu.NewWith(p, cpu.Options{Winograd: use}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			pt := []engine.Point{{A: 0.1, B: -0.2}}
			for _, e := range es { // fold (and transform) the weights outside the timing
				if _, err := e.Evaluate(context.Background(), pt, 0, 1); err != nil {
					b.Fatal(err)
				}
			}
			var cpuTime [2]time.Duration
			var loss [2]float64
			for b.Loop() {
				for i, e := range es {
					t0 := cputime.Thread()
					r, err := e.Evaluate(context.Background(), pt, 0, n.images)
					if err != nil {
						b.Fatal(err)
					}
					cpuTime[i] += cputime.Thread() - t0
					loss[i] = r[0].Loss
				}
			}
			imgs := float64(b.N * n.images)
			b.ReportMetric(imgs/cpuTime[0].Seconds(), "direct-img/cpu-s")
			b.ReportMetric(imgs/cpuTime[1].Seconds(), "auto-img/cpu-s")
			b.ReportMetric(cpuTime[0].Seconds()/cpuTime[1].Seconds(), "speedup")
			b.ReportMetric(math.Abs(loss[1]-loss[0])/math.Abs(loss[0]), "loss-rel")
			b.Logf("kernels: %s (WinogradAuto)", cpu.KernelName(cpu.Options{}))
		})
	}
}
