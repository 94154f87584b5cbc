package cpu

import (
	"context"
	"fmt"
	"math"
	"testing"

	"landscape/cpu/gemm"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// refForward runs the plan on one image with the per-image layer functions (im2col + Sgemm +
// Epilogue, MaxPool, GlobalAvgPool, Linear) and enginetest.Folded's weights: the engine's definition.
func refForward(p *engine.Problem, w, b [][]float32, img []float32) []float32 {
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
			Conv(out, in, w[i], b[i], res, l.ReLU, g, make([]float32, g.ColSize()))
		case model.OpLinear:
			n := l.InShape[0] * l.InShape[1] * l.InShape[2]
			Linear(out[:l.Cout()], in[:n], w[i], b[i], l.ReLU)
		case model.OpMaxPool:
			MaxPool(out, in, l.InShape[0], l.InShape[1], l.InShape[2], l.K)
		case model.OpGlobalAvgPool:
			GlobalAvgPool(out[:l.InShape[0]], in, l.InShape[1]*l.InShape[2])
		}
	}
	return bufs[plan.Output][:p.Net.Classes]
}

func testProblem(t testing.TB, name string, inC, hw, images int) *engine.Problem {
	p, err := engine.RandomProblem(name, model.Config{InC: inC, HW: hw, Classes: 10}, images, 3,
		direction.Options{Norm: "filter", Ignore: "none", DirType: "states"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEngineAgainstLayers compares the batched engine's logits, bit for bit, with the per-image
// layer functions (the same micro-kernels' sums in the same order), for every gemm
// implementation, on the shapes its fast paths take (3x3 and 1x1 convolutions at strides 1 and 2 on
// even sizes, channel counts that are not multiples of 8) and the ones they do not (odd sizes,
// widths that are not 16 or a multiple of 32, max pooling, flattening linear layers), for batch
// sizes that leave partial batches.
func TestEngineAgainstLayers(t *testing.T) {
	cases := []struct {
		model   string
		inC, hw int
		batches []int
	}{
		{"resnet20", 3, 32, []int{1, 3, 8}},
		{"resnet8", 3, 16, []int{5, 16}},
		{"resnet8-noshort", 1, 10, []int{4}},
		{"resnet8", 2, 9, []int{3}},
		{"wrn8-2", 3, 12, []int{6}},
		{"vgg9", 3, 16, []int{7}},
		{"vgg9", 1, 12, []int{2}},
		{"resnet8-c5", 1, 28, []int{4}},
		{"vgg5-c4", 1, 28, []int{9}},
	}
	for _, c := range cases {
		const images, lo = 13, 2
		p := testProblem(t, c.model, c.inC, c.hw, images)
		pt := engine.Point{A: 0.2, B: -0.3}
		w, b := enginetest.Folded(p, pt)
		for _, impl := range gemm.Impls() {
			for _, batch := range c.batches {
				t.Run(fmt.Sprintf("%s/%s_%dx%dx%d_batch%d", impl, c.model, c.inC, c.hw, c.hw, batch), func(t *testing.T) {
					if !gemm.SetImpl(impl) {
						t.Fatalf("no implementation %q", impl)
					}
					defer gemm.SetImpl(gemm.Impls()[0])
					want := make([][]float32, images)
					for i := lo; i < images; i++ {
						want[i] = refForward(p, w, b, p.Data.Image(i))
					}
					e, err := NewBatch(p, batch)
					if err != nil {
						t.Fatal(err)
					}
					ws := e.prepare(pt)
					checkFolded(t, p, ws, w, b)
					checkLogits(t, e, ws, want, lo, batch)
					// Evaluate's sums over the same range.
					got, err := e.Evaluate(context.Background(), []engine.Point{pt, {}}, lo, images)
					if err != nil {
						t.Fatal(err)
					}
					var loss float64
					for i := lo; i < images; i++ {
						l, _ := engine.CrossEntropy(want[i], p.Data.Labels[i])
						loss += l
					}
					if math.Abs(got[0].Loss-loss) > 1e-5*math.Abs(loss) {
						t.Errorf("loss sum %v, want %v", got[0].Loss, loss)
					}
				})
			}
		}
	}
}

// checkFolded fails unless the engine's folded weights ws match model.Layer.Fold's w, b
// (enginetest.Folded) bit for bit.
func checkFolded(t *testing.T, p *engine.Problem, ws *prepared, w, b [][]float32) {
	t.Helper()
	for i, l := range p.Plan.Layers {
		if w[i] == nil {
			continue
		}
		for j := range w[i] {
			if math.Float32bits(w[i][j]) != math.Float32bits(ws.w[i][j]) {
				t.Fatalf("layer %d (%s): folded weight %d = %v, want %v", i, l.Weight, j, ws.w[i][j], w[i][j])
			}
		}
		for j := range b[i] {
			if math.Float32bits(b[i][j]) != math.Float32bits(ws.b[i][j]) {
				t.Fatalf("layer %d: folded bias %d = %v, want %v", i, j, ws.b[i][j], b[i][j])
			}
		}
	}
}

// checkLogits runs the engine's forward pass over images lo … len(want)−1, batch at a time,
// and fails unless every logit equals want's bit for bit.
func checkLogits(t *testing.T, e *Engine, ws *prepared, want [][]float32, lo, batch int) {
	t.Helper()
	images := len(want)
	for first := lo; first < images; first += batch {
		nb := min(batch, images-first)
		logits, ld := e.forward(ws, first, nb)
		for bi := range nb {
			for c, v := range want[first+bi] {
				got := logits[c*ld+bi]
				if math.Float32bits(got) != math.Float32bits(v) {
					t.Fatalf("image %d logit %d = %v, want %v", first+bi, c, got, v)
				}
			}
		}
	}
}

// TestEngineNoGarbage: Evaluate allocates only its result, however many batches it runs.
func TestEngineNoGarbage(t *testing.T) {
	p := testProblem(t, "resnet8", 3, 16, 40)
	e, err := NewBatch(p, 4)
	if err != nil {
		t.Fatal(err)
	}
	pts := []engine.Point{{A: 0.1}, {B: 0.2}}
	ctx := context.Background()
	e.Evaluate(ctx, pts, 0, 40)
	if a := testing.AllocsPerRun(5, func() { e.Evaluate(ctx, pts, 0, 40) }); a > 1 {
		t.Errorf("%v allocations per Evaluate of 10 batches, want 1 (the result)", a)
	}
	// New points reuse the weight buffers of evicted ones (once the cache is full).
	e.Evaluate(ctx, []engine.Point{{A: -1}, {A: -2}, {A: -3}, {A: -4}}, 0, 1)
	i := 0
	if a := testing.AllocsPerRun(5, func() {
		i++
		e.Evaluate(ctx, []engine.Point{{A: float64(i)}}, 0, 4)
	}); a > 1 {
		t.Errorf("%v allocations per Evaluate at a new point, want 1", a)
	}
}

// TestPhasesAsm checks the assembly phase-plane split against its definition, and that it
// writes nothing past the planes.
func TestPhasesAsm(t *testing.T) {
	for _, w := range []int{2, 14, 16, 28, 32, 46, 56, 64, 96, 112} {
		for _, rows := range []int{1, 3, 8} {
			src := make([]float32, 2*rows*w)
			for i := range src {
				src[i] = float32(i)
			}
			const guard = 17
			var d [4][]float32
			var bufs [4][]float32
			for ph := range d {
				bufs[ph] = make([]float32, rows*w/2+guard)
				for i := range bufs[ph] {
					bufs[ph][i] = -1
				}
				d[ph] = bufs[ph][:rows*w/2]
			}
			if !phasesAsm(src, w, rows, d) {
				t.Skip("no assembly phase split on this machine or build")
			}
			for ph := range d {
				ry, rx := ph>>1, ph&1
				for y := range rows {
					for x := range w / 2 {
						if got, want := d[ph][y*w/2+x], src[(2*y+ry)*w+2*x+rx]; got != want {
							t.Fatalf("w=%d rows=%d: phase %d [%d][%d] = %v, want %v", w, rows, ph, y, x, got, want)
						}
					}
				}
				for _, v := range bufs[ph][rows*w/2:] {
					if v != -1 {
						t.Fatalf("w=%d rows=%d: phase %d written past its end", w, rows, ph)
					}
				}
			}
		}
	}
	if phasesAsm(make([]float32, 2*7), 7, 1, [4][]float32{make([]float32, 3), make([]float32, 3), make([]float32, 3), make([]float32, 3)}) {
		t.Error("an odd w = 7 is not supported by the assembly but phasesAsm says it was done")
	}
}
