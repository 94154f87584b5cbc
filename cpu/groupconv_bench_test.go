package cpu

import (
	"runtime"
	"testing"

	"landscape/engine"
	"landscape/internal/cputime"
	"landscape/internal/enginetest"
)

// BenchmarkGroupConv times resnext50_32x4d's first-stage grouped convolution (128 → 128
// channels, 32 groups of 4, 3×3, stride 1, 56×56, a batch of 8 images, bias and ReLU; and its
// last stage's, 1024 channels in 32 groups of 32 at 7×7: "stage4") as the
// engine computed it before (GroupConv per image, then addReLU per row: "loop") and as gemm
// products over groups (groupProducts: "gemm", in float32 and bfloat16), alternating the two in
// each iteration and reporting each one's thread CPU time per batch (ms-loop, ms-gemm) and
// their ratio, so that the load of a shared machine affects both alike:
//
//	go test ./cpu -run XXX -bench GroupConv -benchtime 10x
func BenchmarkGroupConv(b *testing.B) {
	const nb = 8
	for _, stage := range []struct {
		name string
		c    groupCase
	}{
		{"stage1", groupCase{cin: 128, cout: 128, g: 32, k: 3, s: 1, pad: 1, dil: 1, h: 56, w: 56, relu: true}},
		{"stage4", groupCase{cin: 1024, cout: 1024, g: 32, k: 3, s: 1, pad: 1, dil: 1, h: 7, w: 7, relu: true}},
	} {
		path, err := groupGraph(b.TempDir(), stage.c)
		if err != nil {
			b.Fatal(err)
		}
		p, err := enginetest.Setup(enginetest.Case{Model: path, Images: nb, DirType: "weights"}, 3)
		if err != nil {
			b.Fatal(err)
		}
		for _, prec := range []string{"fp32", "bf16"} {
			b.Run(stage.name+"/"+prec, func(b *testing.B) { benchGroupStep(b, p, prec == "bf16", nb) })
		}
	}
}

// benchGroupStep is BenchmarkGroupConv on problem p's grouped step.
func benchGroupStep(b *testing.B, p *engine.Problem, bf16 bool, nb int) {
	e, err := NewWith(p, Options{Batch: nb, BF16: bf16})
	if err != nil {
		b.Fatal(err)
	}
	gi := 0
	for e.steps[gi].grp == nil {
		gi++
	}
	st := &e.steps[gi]
	l := &st.l
	ws := e.prepare(enginetest.Points[1])
	e.forward(ws, 0, nb) // loads the images (rounded in bfloat16)
	ldIn, ldOut := e.ld(st.inHW), e.ld(st.outHW)
	in, out := e.bufs[l.In][e.guard:], e.bufs[l.Out][e.guard:]
	loop := func() {
		for img := range nb {
			GroupConv(out[img*st.outHW:], in[img*st.inHW:], ws.w[gi], ws.b[gi], l.InShape, l.OutShape, l.Window(), l.Groups, ldIn, ldOut)
		}
		for co := range l.Cout() {
			addReLU(out[co*ldOut:][:nb*st.outHW], nil, true)
		}
	}
	gemmed := func() { e.groupProducts(st, &ws.grp[gi], ws.b[gi], out, nil, ldOut, nb) }
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tLoop, tGemm float64
	b.ResetTimer()
	for range b.N {
		t0 := cputime.Thread()
		loop()
		t1 := cputime.Thread()
		gemmed()
		t2 := cputime.Thread()
		tLoop += (t1 - t0).Seconds()
		tGemm += (t2 - t1).Seconds()
	}
	b.ReportMetric(1e3*tLoop/float64(b.N), "ms-loop")
	b.ReportMetric(1e3*tGemm/float64(b.N), "ms-gemm")
	b.ReportMetric(tLoop/tGemm, "speedup")
}
