package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"landscape/engine"
)

// TestWinogradAgainstDirect compares engines computing the 3×3 stride-1 convolutions by
// Winograd's F(4×4, 3×3) with engines computing every convolution directly, on networks whose
// images are and are not multiples of the 4×4 tile, with and without residuals: logits to
// 1e-4 of the largest and the loss sums to 1e-5 relative (the engines' loss tolerance).
func TestWinogradAgainstDirect(t *testing.T) {
	cases := []struct {
		model       string
		inC, hw, nb int
	}{
		{"resnet20", 3, 32, 8},
		{"resnet56", 3, 32, 8},
		{"resnet8", 2, 9, 3},
		{"resnet8-noshort", 1, 10, 4},
		{"wrn8-2", 3, 12, 6},
		{"vgg9", 1, 12, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%dx%dx%d_batch%d", c.model, c.inC, c.hw, c.hw, c.nb), func(t *testing.T) {
			const images = 11
			p := testProblem(t, c.model, c.inC, c.hw, images)
			wino, err := NewWith(p, Options{Batch: c.nb, Winograd: WinogradOn})
			if err != nil {
				t.Fatal(err)
			}
			direct, err := NewWith(p, Options{Batch: c.nb, Winograd: WinogradOff})
			if err != nil {
				t.Fatal(err)
			}
			if n := winoSteps(wino); n == 0 || winoSteps(direct) != 0 {
				t.Fatalf("%d Winograd steps with WinogradOn, %d with WinogradOff", n, winoSteps(direct))
			}
			pts := []engine.Point{{A: 0.2, B: -0.3}, {}}
			compareLogits(t, wino, direct, pts[0], images, c.nb)
			got, err := wino.Evaluate(context.Background(), pts, 0, images)
			if err != nil {
				t.Fatal(err)
			}
			want, err := direct.Evaluate(context.Background(), pts, 0, images)
			if err != nil {
				t.Fatal(err)
			}
			for i := range pts {
				t.Logf("point %v: loss sums differ by %.2g relative", pts[i], math.Abs(got[i].Loss-want[i].Loss)/math.Abs(want[i].Loss))
				if d := math.Abs(got[i].Loss - want[i].Loss); d > 1e-5*math.Abs(want[i].Loss) {
					t.Errorf("point %v: loss sum %v by Winograd, %v directly", pts[i], got[i].Loss, want[i].Loss)
				}
			}
		})
	}
}

func winoSteps(e *Engine) int {
	n := 0
	for _, st := range e.steps {
		if st.wino {
			n++
		}
	}
	return n
}

// compareLogits fails unless a's logits at pt are within 1e-4 of the largest of b's.
func compareLogits(t *testing.T, a, b *Engine, pt engine.Point, images, batch int) {
	t.Helper()
	wa, wb := a.prepare(pt), b.prepare(pt)
	for first := 0; first < images; first += batch {
		nb := min(batch, images-first)
		la, ld := a.forward(wa, first, nb)
		la = append([]float32(nil), la[:a.p.Net.Classes*ld]...)
		lb, _ := b.forward(wb, first, nb)
		var big, diff float64
		for c := range a.p.Net.Classes {
			for i := range nb {
				big = max(big, math.Abs(float64(lb[c*ld+i])))
				diff = max(diff, math.Abs(float64(la[c*ld+i]-lb[c*ld+i])))
			}
		}
		if diff > 1e-4*big || big == 0 {
			t.Errorf("images %d…%d: logits differ by %g, the largest is %g", first, first+nb-1, diff, big)
		}
	}
}

// TestWinogradAccuracy measures one 3×3 convolution (64 channels in and out, 8×8 and 7×7
// images, weights and inputs uniform in ±1 and ±1/√(9·64)) computed by Winograd's transforms
// and by the direct float32 sum, against the sum in float64: the error relative to the
// largest output, which the test logs and bounds by 2e-6 (Winograd) — about 10 times the direct
// sum's.
func TestWinogradAccuracy(t *testing.T) {
	for _, hw := range []int{8, 7} {
		const cin, cout, nb = 64, 64, 2
		rng := rand.New(rand.NewPCG(1, uint64(hw)))
		g := winoGeom{h: hw, w: hw, th: (hw + 3) / 4, tw: (hw + 3) / 4}
		plane := hw * hw
		in := make([]float32, cin*nb*plane)
		w := make([]float32, cout*cin*9)
		for i := range in {
			in[i] = 2*rng.Float32() - 1
		}
		for i := range w {
			w[i] = (2*rng.Float32() - 1) / 24
		}
		exact, direct := directConv(in, w, cin, cout, nb, hw)
		u := make([]float32, winoXi*cout*cin)
		winoFilters(u, w, cin*9, cout, cin)
		nt := nb * g.tiles()
		v, m := make([]float32, winoXi*cin*nt), make([]float32, winoXi*cout*nt)
		out := make([]float32, cout*nb*plane)
		winoInputs(v, in, nb*plane, cin, g, 0, nt)
		for xi := range winoXi {
			for co := range cout {
				for t := range nt {
					var s float32
					for ci := range cin {
						s += u[(xi*cout+co)*cin+ci] * v[(xi*cin+ci)*nt+t]
					}
					m[(xi*cout+co)*nt+t] = s
				}
			}
		}
		winoOutputs(out, m, nb*plane, cout, g, 0, nt)
		errW, errD := relErr(out, exact), relErr(direct, exact)
		t.Logf("%dx%d: Winograd F(4x4,3x3) error %.2g of the largest output, direct float32 %.2g", hw, hw, errW, errD)
		if errW > 1e-5 || errW == 0 {
			t.Errorf("%dx%d: Winograd error %g of the largest output", hw, hw, errW)
		}
	}
}

// directConv returns a 3×3 padding-1 convolution of in (cin channels of nb hw×hw images) by w in
// float64 and in float32.
func directConv(in, w []float32, cin, cout, nb, hw int) (exact []float64, direct []float32) {
	plane := hw * hw
	exact, direct = make([]float64, cout*nb*plane), make([]float32, cout*nb*plane)
	for co := range cout {
		for b := range nb {
			for y := range hw {
				for x := range hw {
					var s64 float64
					var s32 float32
					for ci := range cin {
						for kh := range 3 {
							for kw := range 3 {
								yy, xx := y+kh-1, x+kw-1
								if yy < 0 || yy >= hw || xx < 0 || xx >= hw {
									continue
								}
								a, c := in[ci*nb*plane+b*plane+yy*hw+xx], w[(co*cin+ci)*9+kh*3+kw]
								s64 += float64(a) * float64(c)
								s32 += a * c
							}
						}
					}
					exact[co*nb*plane+b*plane+y*hw+x], direct[co*nb*plane+b*plane+y*hw+x] = s64, s32
				}
			}
		}
	}
	return exact, direct
}

// relErr is the largest |got − want| relative to the largest |want|.
func relErr(got []float32, want []float64) float64 {
	var big, diff float64
	for i, w := range want {
		big = max(big, math.Abs(w))
		diff = max(diff, math.Abs(float64(got[i])-w))
	}
	return diff / big
}

// BenchmarkEngineWinograd times resnet20 on 64 images at one point (the default batch) with
// its 3×3 stride-1 convolutions by Winograd's algorithm and directly, on the kernel this build
// and machine choose (-tags noasm: the portable one).
func BenchmarkEngineWinograd(b *testing.B) {
	const images = 64
	p := testProblem(b, "resnet20", 3, 32, images)
	for _, use := range []WinogradUse{WinogradOn, WinogradOff} {
		b.Run(fmt.Sprintf("winograd=%v", use == WinogradOn), func(b *testing.B) {
			e, err := NewWith(p, Options{Winograd: use})
			if err != nil {
				b.Fatal(err)
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
