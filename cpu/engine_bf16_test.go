package cpu

import (
	"context"
	"fmt"
	"math"
	"testing"

	"landscape/cpu/gemm"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// refForwardBF16 is refForward with bfloat16 operands, the engine's definition of Options.BF16:
// the folded weights of every convolution and linear layer and the activation entering it
// rounded to bfloat16 (in place), everything else in float32.
func refForwardBF16(p *engine.Problem, w, b [][]float32, img []float32) []float32 {
	rw := make([][]float32, len(w))
	for i := range w {
		if w[i] != nil {
			rw[i] = append([]float32(nil), w[i]...)
			gemm.RoundBF16s(rw[i])
		}
	}
	plan := p.Plan
	bufs := make([][]float32, len(plan.Buffers))
	for i, n := range plan.Buffers {
		bufs[i] = make([]float32, n)
	}
	copy(bufs[plan.Input], img)
	for i, l := range plan.Layers {
		in, out := bufs[l.In], bufs[l.Out]
		var res []float32
		if l.Residual >= 0 {
			res = bufs[l.Residual]
		}
		switch l.Kind {
		case model.OpConv:
			g := l.Geom()
			gemm.RoundBF16s(in[:g.Cin*g.H*g.W])
			Conv(out, in, rw[i], b[i], res, l.ReLU, g, make([]float32, g.ColSize()))
		case model.OpLinear:
			n := l.InShape[0] * l.InShape[1] * l.InShape[2]
			gemm.RoundBF16s(in[:n])
			Linear(out[:l.Cout()], in[:n], rw[i], b[i], l.ReLU)
		case model.OpMaxPool:
			if h, w := l.InShape[1], l.InShape[2]; l.Win.KH > 0 { // imported geometry
				for c := range l.InShape[0] {
					PoolWindow(out[c*l.OutShape[1]*l.OutShape[2]:], in[c*h*w:], h, w, l.Win, false)
				}
				break
			}
			MaxPool(out, in, l.InShape[0], l.InShape[1], l.InShape[2], l.K)
		case model.OpGlobalAvgPool:
			GlobalAvgPool(out[:l.InShape[0]], in, l.InShape[1]*l.InShape[2])
		}
	}
	return bufs[plan.Output][:p.Net.Classes]
}

// TestEngineBF16 compares the bfloat16 engine with refForwardBF16 for each FusedBF16
// implementation: bit for bit where the float32 kernels compute it (the same sums as the
// reference's), and within a tolerance on AMX, whose sums run in another order (a different
// float32 sum can round the next layer's input to the neighbouring bfloat16). It also checks
// that bfloat16 is not float32: the losses differ.
func TestEngineBF16(t *testing.T) {
	saved := gemm.BF16KernelName()
	defer func() {
		if !gemm.SetBF16Impl(saved) {
			gemm.SetBF16Impl("")
		}
	}()
	impls := bf16Impls()
	cases := []struct {
		model   string
		inC, hw int
		batch   int
	}{
		{"resnet20", 3, 32, 3},
		{"resnet8", 2, 9, 4},
		{"vgg9", 3, 16, 5},
		{"resnet8-c5", 1, 28, 4},
	}
	for _, impl := range impls {
		for _, c := range cases {
			gemm.SetBF16Impl(impl)
			t.Run(fmt.Sprintf("%s/%s_%dx%dx%d", gemm.BF16KernelName(), c.model, c.inC, c.hw, c.hw), func(t *testing.T) {
				const images = 11
				p := testProblem(t, c.model, c.inC, c.hw, images)
				pt := engine.Point{A: 0.2, B: -0.3}
				w, b := enginetest.Folded(p, pt)
				e, err := NewWith(p, Options{Batch: c.batch, BF16: true})
				if err != nil {
					t.Fatal(err)
				}
				checkBF16Steps(t, e, impl != "")
				got, err := e.Evaluate(context.Background(), []engine.Point{pt}, 0, images)
				if err != nil {
					t.Fatal(err)
				}
				want := refLossBF16(p, w, b, images)
				tol := 0.0
				if impl != "" {
					tol = 2e-3 * math.Abs(want)
				}
				if d := math.Abs(got[0].Loss - want); !(d <= tol) {
					t.Errorf("loss sum %v, want %v (difference %.3g > %.3g)", got[0].Loss, want, d, tol)
				}
				f32, err := NewWith(p, Options{Batch: c.batch})
				if err != nil {
					t.Fatal(err)
				}
				exact, _ := f32.Evaluate(context.Background(), []engine.Point{pt}, 0, images)
				if exact[0].Loss == got[0].Loss {
					t.Errorf("bfloat16 loss %v is the float32 one", got[0].Loss)
				}
				t.Logf("loss sum: bf16 %.6f, fp32 %.6f (relative difference %.2e)", got[0].Loss, exact[0].Loss, math.Abs(got[0].Loss-exact[0].Loss)/exact[0].Loss)
			})
		}
	}
}

// bf16Impls lists the FusedBF16 implementations TestEngineBF16 runs: "" (the float32 kernels)
// and those of amx-bf16, avx512-bf16 and neon-bf16 this machine has. It leaves the last one that exists
// selected.
func bf16Impls() []string {
	impls := []string{""}
	for _, name := range []string{"amx-bf16", "avx512-bf16", "neon-bf16"} {
		if gemm.SetBF16Impl(name) {
			impls = append(impls, name)
		}
	}
	return impls
}

// checkBF16Steps checks how the bfloat16 engine e stores and reads its products' inputs: the
// zoo's convolutions feed each other, so most round in their store (inRounded). On tiles
// (tiles true) the stride-1 convolutions read channel pairs (pairs.go; on AMX those of 32 or 64
// channels from a grid, tiles.go), most of them stored by their producer, and those inside a
// residual block store only the pairs; else none does.
func checkBF16Steps(t *testing.T, e *Engine, tiles bool) {
	t.Helper()
	rounded := 0
	for _, st := range e.steps {
		if st.inRounded {
			rounded++
		}
	}
	if rounded == 0 {
		t.Errorf("no product reads an input rounded by its producer's store")
	}
	paired, stored, only := 0, 0, 0
	for _, st := range e.steps {
		if st.paired {
			paired++
		}
		if st.pairsIn {
			stored++
		}
		if st.pairsOnly {
			only++
		}
	}
	tiled, resPairs, tiledRes := 0, 0, 0
	for _, st := range e.steps {
		if st.tiled {
			tiled++
			if st.l.Residual >= 0 {
				tiledRes++
			}
		}
		if st.resGrid != nil {
			resPairs++
		}
	}
	t.Logf("%d steps tiled, %d of them with a residual, %d reading it as pairs", tiled, tiledRes, resPairs)
	if (paired+tiled > 0) != tiles || (stored > 0) != tiles || (only > 0) != tiles {
		t.Errorf("%d steps read channel pairs, %d from a grid, %d of them stored by the producer, %d producers store only pairs, with the %q kernels", paired, tiled, stored, only, gemm.BF16KernelName())
	}
	// On AMX the 3×3 convolutions of 32 or 64 channels read a grid (tiles.go).
	if wide := e.steps[len(e.steps)-3].l.InShape[0] >= 32; (tiled > 0) != (gemm.BF16Tiled() && wide) {
		t.Errorf("%d steps read their input from a grid with the %q kernels", tiled, gemm.BF16KernelName())
	}
}

// refLossBF16 is the sum of the cross-entropy losses of refForwardBF16 (weights w, biases b)
// over the first images images of p's data.
func refLossBF16(p *engine.Problem, w, b [][]float32, images int) float64 {
	var want float64
	for i := range images {
		l, _ := engine.CrossEntropy(refForwardBF16(p, w, b, p.Data.Image(i)), p.Data.Labels[i])
		want += l
	}
	return want
}

// BenchmarkEngineBF16 times the bfloat16 engine on resnet56 (64 images per Evaluate, one
// point, the default batch),
// with its stride-1 convolutions reading channel pairs (pairs=true, as New builds it where the
// products run on tiles) and, for comparison, reading float32 rows (pairs=false).
func BenchmarkEngineBF16(b *testing.B) {
	if !gemm.BF16Paired() {
		b.Skip("no bfloat16 tiles on this machine")
	}
	const images = 64
	p := testProblem(b, "resnet56", 3, 32, images)
	for _, pairs := range []bool{false, true} {
		b.Run(fmt.Sprintf("pairs=%v", pairs), func(b *testing.B) {
			e, err := NewWith(p, Options{BF16: true}) // DefaultBatch
			if err != nil {
				b.Fatal(err)
			}
			if !pairs {
				for i := range e.steps {
					st := &e.steps[i]
					st.paired, st.pairsIn, st.pairsOut, st.pairsOnly = false, false, false, false
				}
			}
			pt := []engine.Point{{A: 0.1, B: 0.2}}
			for b.Loop() {
				if _, err := e.Evaluate(context.Background(), pt, 0, images); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(images*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
