package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"landscape/cpu"
	"landscape/model"
)

// Gradient checks: every backward kernel against central finite differences of
// L = Σ r ⊙ forward(…) in float64, with r a fixed random weighting of the outputs.

const fdStep = 1e-6

func randn(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// checkGrad compares grad with the central difference of loss in every coordinate of x.
func checkGrad(t *testing.T, what string, x, grad []float64, loss func() float64) {
	t.Helper()
	bad := 0
	for i := range x {
		old := x[i]
		x[i] = old + fdStep
		lp := loss()
		x[i] = old - fdStep
		lm := loss()
		x[i] = old
		num := (lp - lm) / (2 * fdStep)
		if d := math.Abs(num - grad[i]); d > 1e-6*math.Max(1, math.Abs(num)) {
			if bad++; bad <= 3 {
				t.Errorf("%s[%d]: backward %.9g, finite difference %.9g", what, i, grad[i], num)
			}
		}
	}
}

func TestConvGradients(t *testing.T) {
	geoms := []model.ConvGeom{
		{Cin: 2, H: 5, W: 5, Cout: 3, K: 3, Stride: 1, Pad: 1},
		{Cin: 3, H: 6, W: 4, Cout: 2, K: 5, Stride: 1, Pad: 2},
		{Cin: 2, H: 6, W: 6, Cout: 3, K: 3, Stride: 2, Pad: 1},
		{Cin: 3, H: 7, W: 6, Cout: 2, K: 3, Stride: 2, Pad: 0},
		{Cin: 3, H: 4, W: 4, Cout: 2, K: 1, Stride: 2, Pad: 0},
		{Cin: 3, H: 4, W: 4, Cout: 2, K: 1, Stride: 1, Pad: 0},
	}
	for _, g := range geoms {
		g.OH, g.OW = (g.H+2*g.Pad-g.K)/g.Stride+1, (g.W+2*g.Pad-g.K)/g.Stride+1
		t.Run(fmt.Sprintf("%dx%d_k%d_s%d_p%d", g.H, g.W, g.K, g.Stride, g.Pad), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			const B = 3
			in := randn(r, g.Cin*B*g.H*g.W)
			w := randn(r, g.Cout*g.Cin*g.K*g.K)
			b := randn(r, g.Cout)
			rw := randn(r, g.Cout*B*g.OH*g.OW)
			out := make([]float64, len(rw))
			col, dcol := make([]float64, g.ColSize()*B), make([]float64, g.ColSize()*B)
			// two chunks, images {0,1} and {2}, to exercise the offsets
			loss := func() float64 {
				convForward(out, in, w, b, g, B, 0, 2, col)
				convForward(out, in, w, b, g, B, 2, 1, col)
				return dot(rw, out)
			}
			dW, db, dIn := make([]float64, len(w)), make([]float64, len(b)), make([]float64, len(in))
			convBackward(dW, db, dIn, rw, in, w, nil, g, B, 0, 2, col, dcol)
			convBackward(dW, db, dIn, rw, in, w, nil, g, B, 2, 1, col, dcol)
			checkGrad(t, "dW", w, dW, loss)
			checkGrad(t, "db", b, db, loss)
			checkGrad(t, "dIn", in, dIn, loss)
			if g.SameSize() { // the input gradient as a convolution with flipped kernels
				wf := make([]float64, len(w))
				flipWeights(wf, w, g)
				big := make([]float64, g.Cout*g.K*g.K*g.OH*g.OW*B)
				dIn2 := make([]float64, len(in))
				convBackward(make([]float64, len(w)), nil, dIn2, rw, in, w, wf, g, B, 0, 1, col, big)
				convBackward(make([]float64, len(w)), nil, dIn2, rw, in, w, wf, g, B, 1, 2, col, big)
				checkGrad(t, "dIn (flipped kernels)", in, dIn2, loss)
			}
		})
	}
}

func TestBatchNormGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const C, M = 3, 10
	x := randn(r, C*M)
	for i := range x {
		x[i] = 2*x[i] + 1.5 // a mean away from zero
	}
	gamma, beta, rw := randn(r, C), randn(r, C), randn(r, C*M)
	y := make([]float64, C*M)
	mean, invstd := make([]float64, C), make([]float64, C)
	loss := func() float64 {
		bnForward(y, x, gamma, beta, mean, invstd, nil, nil, model.BNEps, M, 0, C, false)
		return dot(rw, y)
	}
	loss()
	dx, dg, dbeta := make([]float64, C*M), make([]float64, C), make([]float64, C)
	bnBackward(dx, dg, dbeta, rw, x, gamma, mean, invstd, M, 0, 2)
	bnBackward(dx, dg, dbeta, rw, x, gamma, mean, invstd, M, 2, C)
	checkGrad(t, "dx", x, dx, loss)
	checkGrad(t, "dγ", gamma, dg, loss)
	checkGrad(t, "dβ", beta, dbeta, loss)
}

// Running statistics: momentum 0.1, the unbiased variance; the output uses the biased one.
func TestBatchNormRunningStats(t *testing.T) {
	x := []float32{1, 2, 3, 6, 0, 0, 0, 4}
	y := make([]float32, 8)
	rm, rv := []float32{1, -1}, []float32{2, 0.5}
	mean, invstd := make([]float64, 2), make([]float64, 2)
	bnForward(y, x, []float32{1, 2}, []float32{0, 1}, mean, invstd, rm, rv, model.BNEps, 4, 0, 2, false)
	// channel 0: mean 3, biased var 3.5, unbiased 14/3; channel 1: mean 1, biased 3, unbiased 4
	want := []float64{0.9*1 + 0.1*3, 0.9*-1 + 0.1*1, 0.9*2 + 0.1*14.0/3, 0.9*0.5 + 0.1*4}
	got := []float32{rm[0], rm[1], rv[0], rv[1]}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Errorf("running stat %d = %v, want %v", i, got[i], want[i])
		}
	}
	if v, w := float64(y[3]), 3/math.Sqrt(3.5+1e-5); math.Abs(v-w) > 1e-6 {
		t.Errorf("y = %v, want %v", v, w)
	}
	if v, w := float64(y[4]), 1+2*(-1/math.Sqrt(3+1e-5)); math.Abs(v-w) > 1e-6 {
		t.Errorf("y = %v, want %v", v, w)
	}
}

func awayFromZero(v []float64) {
	for i, x := range v {
		if math.Abs(x) < 0.05 {
			v[i] = 0.1
		}
	}
}

func TestReLUAndAddGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x, x2, rw := randn(r, 20), randn(r, 20), randn(r, 20)
	y := make([]float64, 20)
	loss := func() float64 {
		add(y, x, x2, false)
		awayFromZero(y)
		relu(y, y)
		return dot(rw, y)
	}
	loss()
	dy := make([]float64, 20)
	reluBackward(dy, rw, y)
	dm := append([]float64{}, rw...)
	reluMask(dm, y)
	for i := range dm {
		if dm[i] != dy[i] {
			t.Fatalf("reluMask: %v, reluBackward %v", dm[i], dy[i])
		}
	}
	dx, dx2 := make([]float64, 20), make([]float64, 20)
	accumulate(dx, dy)
	accumulate(dx2, dy)
	// perturbing x moves y by the same amount as long as no sum crosses the kink
	checkGrad(t, "dx", x, dx, loss)
	checkGrad(t, "dx2", x2, dx2, loss)
}

func TestPoolGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const planes, h, w, k = 4, 5, 7, 2
	x := randn(r, planes*h*w)
	oh, ow := (h+k-1)/k, (w+k-1)/k
	rw := randn(r, planes*oh*ow)
	y := make([]float64, len(rw))
	arg := make([]int32, len(rw))
	loss := func() float64 {
		maxPool(y, x, arg, h, w, k, 0, 1)
		maxPool(y, x, arg, h, w, k, 1, planes)
		return dot(rw, y)
	}
	loss()
	dx := make([]float64, len(x))
	maxPoolBackward(dx, rw, arg, h, w, k, 0, planes)
	checkGrad(t, "maxpool dx", x, dx, loss)

	ra := randn(r, planes)
	ya := make([]float64, planes)
	lossA := func() float64 { avgPool(ya, x, h*w, 0, planes); return dot(ra, ya) }
	dxa := make([]float64, len(x))
	avgPoolBackward(dxa, ra, h*w, 0, planes)
	checkGrad(t, "avgpool dx", x, dxa, lossA)
}

// Max pooling picks the first maximum of a window and propagates NaN, as PyTorch.
func TestMaxPoolTiesAndNaN(t *testing.T) {
	x := []float32{1, 3, 3, 0, 2, float32(math.NaN()), 1, 5, 7}
	y, arg := make([]float32, 4), make([]int32, 4)
	maxPool(y, x, arg, 3, 3, 2, 0, 1)
	if arg[0] != 1 || y[0] != 3 {
		t.Errorf("window 0: max %v at %d, want 3 at 1", y[0], arg[0])
	}
	if y[1] == y[1] || arg[1] != 5 {
		t.Errorf("window 1: %v at %d, want NaN at 5", y[1], arg[1])
	}
	if y[2] != 5 || arg[2] != 7 || y[3] != 7 {
		t.Errorf("edge windows: %v %v at %v", y[2], y[3], arg)
	}
}

func TestLinearGradients(t *testing.T) {
	for _, P := range []int{1, 4} {
		t.Run(fmt.Sprintf("P%d", P), func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, uint64(P)))
			const C, O, B = 3, 4, 5
			in, w, b := randn(r, C*B*P), randn(r, O*C*P), randn(r, O)
			rw := randn(r, O*B)
			out := make([]float64, O*B)
			loss := func() float64 {
				linearForward(out, in, w, b, C, P, O, B, 0, 3)
				linearForward(out, in, w, b, C, P, O, B, 3, 2)
				return dot(rw, out)
			}
			dW, db, dIn := make([]float64, len(w)), make([]float64, O), make([]float64, len(in))
			linearBackward(dW, db, dIn, rw, in, w, C, P, O, B, 0, 3)
			linearBackward(dW, db, dIn, rw, in, w, C, P, O, B, 3, 2)
			checkGrad(t, "dW", w, dW, loss)
			checkGrad(t, "db", b, db, loss)
			checkGrad(t, "dIn", in, dIn, loss)
			// flatten order: image n's feature c·P+p is in[c][n][p]
			linearForward(out, in, w, b, C, P, O, B, 0, B)
			n, o := 2, 1
			want := b[o]
			for c := range C {
				for p := range P {
					want += w[o*C*P+c*P+p] * in[(c*B+n)*P+p]
				}
			}
			if math.Abs(out[o*B+n]-want) > 1e-12 {
				t.Errorf("out = %v, want %v", out[o*B+n], want)
			}
		})
	}
}

func TestCrossEntropyGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const K, B = 4, 3
	z := randn(r, K*B)
	labels := []int32{2, 0, 3}
	dz := make([]float64, K*B)
	loss := func() float64 { l, _ := crossEntropy[float64](nil, z, labels, K, B, 0, B, 1); return l / B }
	crossEntropy(dz, z, labels, K, B, 0, B, 1.0/B)
	checkGrad(t, "dz", z, dz, loss)
	// hand value: logits (0, 0, log 2) → softmax (1/4, 1/4, 1/2), label 2: loss log 2
	l, c := crossEntropy[float64](nil, []float64{0, 0, math.Log(2)}, []int32{2}, 3, 1, 0, 1, 1)
	if math.Abs(l-math.Log(2)) > 1e-15 || c != 1 {
		t.Errorf("loss %v correct %d, want log 2 and 1", l, c)
	}
}

// The forward kernels on a batch in [C][B][P] layout agree with the inference engine's
// one-image kernels (package cpu, checked against PyTorch).
func TestForwardMatchesCPU(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const B = 3
	for _, g := range []model.ConvGeom{
		{Cin: 2, H: 5, W: 5, Cout: 3, K: 3, Stride: 1, Pad: 1},
		{Cin: 2, H: 6, W: 7, Cout: 3, K: 3, Stride: 2, Pad: 1},
		{Cin: 3, H: 4, W: 4, Cout: 2, K: 1, Stride: 2, Pad: 0},
		{Cin: 3, H: 4, W: 4, Cout: 2, K: 1, Stride: 1, Pad: 0},
	} {
		g.OH, g.OW = (g.H+2*g.Pad-g.K)/g.Stride+1, (g.W+2*g.Pad-g.K)/g.Stride+1
		in := f32(randn(r, g.Cin*B*g.H*g.W))
		w, b := f32(randn(r, g.Cout*g.Cin*g.K*g.K)), f32(randn(r, g.Cout))
		out := make([]float32, g.Cout*B*g.OH*g.OW)
		convForward(out, in, w, b, g, B, 0, B, make([]float32, g.ColSize()*B))
		for n := range B {
			img := nchw(in, g.Cin, B, g.H*g.W, n)
			want := make([]float32, g.Cout*g.OH*g.OW)
			cpu.Conv(want, img, w, b, nil, false, g, make([]float32, g.ColSize()))
			closeTo(t, "conv", nchw(out, g.Cout, B, g.OH*g.OW, n), want)
		}
	}
	// max pool, average pool and linear
	const C, H, W = 3, 5, 5
	in := f32(randn(r, C*B*H*W))
	mp, arg := make([]float32, C*B*9), make([]int32, C*B*9)
	maxPool(mp, in, arg, H, W, 2, 0, C*B)
	ap := make([]float32, C*B)
	avgPool(ap, in, H*W, 0, C*B)
	lw, lb := f32(randn(r, 4*C*H*W)), f32(randn(r, 4))
	lo := make([]float32, 4*B)
	linearForward(lo, in, lw, lb, C, H*W, 4, B, 0, B)
	for n := range B {
		img := nchw(in, C, B, H*W, n)
		want := make([]float32, C*9)
		cpu.MaxPool(want, img, C, H, W, 2)
		closeTo(t, "maxpool", nchw(mp, C, B, 9, n), want)
		wa := make([]float32, C)
		cpu.GlobalAvgPool(wa, img, H*W)
		closeTo(t, "avgpool", nchw(ap, C, B, 1, n), wa)
		wl := make([]float32, 4)
		cpu.Linear(wl, img, lw, lb, false)
		closeTo(t, "linear", nchw(lo, 4, B, 1, n), wl)
	}
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// nchw extracts image n ([C][P]) from a [C][B][P] batch.
func nchw(x []float32, C, B, P, n int) []float32 {
	out := make([]float32, 0, C*P)
	for c := range C {
		out = append(out, x[(c*B+n)*P:][:P]...)
	}
	return out
}

func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
