package cpu

import (
	"context"
	"math"
	"testing"

	"landscape/cpu/gemm"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// stemBlockNet is stemNet with 32 channels followed by a ResNet basic block (two 3×3
// convolutions, the pool's output added back) before the average pool, as in resnet18.
func stemBlockNet(hw int) *model.Net {
	n := stemNet(hw, 32)
	h2 := hw / 4
	n.Params = append(n.Params,
		model.ParamSpec{Name: "b1.weight", Shape: []int{32, 32, 3, 3}, Kind: model.KindWeight},
		model.ParamSpec{Name: "b2.weight", Shape: []int{32, 32, 3, 3}, Kind: model.KindWeight})
	s := [3]int{32, h2, h2}
	n.Ops = append(n.Ops[:2],
		model.Op{Kind: model.OpConv, In: 2, Out: 5, Weight: "b1.weight", K: 3, Stride: 1, Pad: 1},
		model.Op{Kind: model.OpReLU, In: 5, Out: 6},
		model.Op{Kind: model.OpConv, In: 6, Out: 7, Weight: "b2.weight", K: 3, Stride: 1, Pad: 1},
		model.Op{Kind: model.OpAdd, In: 7, In2: 2, Out: 8},
		model.Op{Kind: model.OpReLU, In: 8, Out: 9},
		model.Op{Kind: model.OpGlobalAvgPool, In: 9, Out: 3},
		model.Op{Kind: model.OpLinear, In: 3, Out: 4, Weight: "fc.weight", Bias: "fc.bias"})
	n.Slots = append(n.Slots, s, s, s, s, s)
	return n
}

// TestConvPoolPairsBF16 checks, in bfloat16, that a max pool computed with its convolution
// (convpool.go) rounds its output as it stores it for the 3×3 convolution after it
// (roundPooled) and, on AMX, stores the channel pairs that convolution and the residual read
// (poolPairs), and only those (pairsOnly: nothing reads its float32 output): the flags, and
// the loss against refForwardBF16 up to the order of the sums, with a last batch of fewer
// images, pool outputs of 8×8 and 24×24.
func TestConvPoolPairsBF16(t *testing.T) {
	for _, hw := range []int{32, 96} {
		const images = 5
		n := stemBlockNet(hw)
		w := model.Init(n, 1)
		dx, dy := direction.Random(n, "weights", 1, 0), direction.Random(n, "weights", 1, 1)
		p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, 3, hw, hw, 10, 1))
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewWith(p, Options{Batch: 2, BF16: true})
		if err != nil {
			t.Fatal(err)
		}
		pl, nx := &e.steps[1], &e.steps[2]
		if !pl.pooled || !pl.roundOut || !nx.inRounded {
			t.Fatalf("%d×%d: pooled %v, rounds its output %v, the next product's input rounded %v", hw, hw, pl.pooled, pl.roundOut, nx.inRounded)
		}
		if tiled := gemm.BF16Tiled(); pl.pairsOut != tiled || nx.pairsIn != tiled || (e.steps[3].resGrid != nil) != tiled || pl.pairsOnly != tiled {
			t.Errorf("%d×%d: the pool stores pairs %v (only %v), read as input %v and as residual %v; want %v", hw, hw, pl.pairsOut, pl.pairsOnly, nx.pairsIn, e.steps[3].resGrid != nil, tiled)
		}
		pt := engine.Point{A: 0.3, B: -0.1}
		got, err := e.Evaluate(context.Background(), []engine.Point{pt}, 0, images)
		if err != nil {
			t.Fatal(err)
		}
		fw, fb := enginetest.Folded(p, pt)
		want := refLossBF16(p, fw, fb, images)
		if d := math.Abs(got[0].Loss - want); !(d <= 2e-3*math.Abs(want)) {
			t.Errorf("%d×%d: loss sum %v, want %v (difference %.3g)", hw, hw, got[0].Loss, want, d)
		}
	}
}

// stemPointwiseNet is stemNet with 32 channels followed by two 1×1 convolutions with ReLU (a
// ResNet-50 bottleneck's first layer) before the average pool: the pool's reader is a paired
// product, not a tiled one.
func stemPointwiseNet(hw int) *model.Net {
	n := stemNet(hw, 32)
	h2 := hw / 4
	n.Params = append(n.Params, model.ParamSpec{Name: "p1.weight", Shape: []int{32, 32, 1, 1}, Kind: model.KindWeight},
		model.ParamSpec{Name: "p2.weight", Shape: []int{32, 32, 1, 1}, Kind: model.KindWeight})
	s := [3]int{32, h2, h2}
	n.Ops = append(n.Ops[:2],
		model.Op{Kind: model.OpConv, In: 2, Out: 5, Weight: "p1.weight", K: 1, Stride: 1, Pad: 0},
		model.Op{Kind: model.OpReLU, In: 5, Out: 6},
		model.Op{Kind: model.OpConv, In: 6, Out: 7, Weight: "p2.weight", K: 1, Stride: 1, Pad: 0},
		model.Op{Kind: model.OpReLU, In: 7, Out: 8},
		model.Op{Kind: model.OpGlobalAvgPool, In: 8, Out: 3},
		model.Op{Kind: model.OpLinear, In: 3, Out: 4, Weight: "fc.weight", Bias: "fc.bias"})
	n.Slots = append(n.Slots, s, s, s, s)
	return n
}

// TestConvPoolPointwiseBF16 runs, in bfloat16, a max pool computed with its convolution whose
// output a 1×1 convolution reads (as ResNet-50's first bottleneck does): the pool stores only
// float32 rows (it has no grid to store pairs into; CI's resnet50 once crashed in poolPairs
// here), and the loss matches refForwardBF16 up to the order of the sums.
func TestConvPoolPointwiseBF16(t *testing.T) {
	const hw, images = 96, 3
	n := stemPointwiseNet(hw)
	w := model.Init(n, 1)
	dx, dy := direction.Random(n, "weights", 1, 0), direction.Random(n, "weights", 1, 1)
	p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, 3, hw, hw, 10, 1))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewWith(p, Options{Batch: 2, BF16: true})
	if err != nil {
		t.Fatal(err)
	}
	if pl := &e.steps[1]; !pl.pooled || pl.pairsOut && pl.outGrid == nil {
		t.Fatalf("pooled %v, stores pairs %v without a grid %v", pl.pooled, pl.pairsOut, pl.outGrid == nil)
	}
	pt := engine.Point{A: 0.3, B: -0.1}
	got, err := e.Evaluate(context.Background(), []engine.Point{pt}, 0, images)
	if err != nil {
		t.Fatal(err)
	}
	fw, fb := enginetest.Folded(p, pt)
	want := refLossBF16(p, fw, fb, images)
	if d := math.Abs(got[0].Loss - want); !(d <= 2e-3*math.Abs(want)) {
		t.Errorf("loss sum %v, want %v (difference %.3g)", got[0].Loss, want, d)
	}
}
