package cpu

import (
	"fmt"
	"math"
	"testing"

	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
)

// stemNet is an ImageNet ResNet's stem on a small image: conv 7×7 stride 2 (bias, ReLU is
// left out so that the pool reads the product's raw output) with cout channels on an hw×hw
// RGB input, 3×3 stride-2 max pool padded by 1, global average pool and a linear classifier.
func stemNet(hw, cout int) *model.Net {
	h1, h2 := hw/2, hw/4
	return &model.Net{
		Name: "stem", InC: 3, HW: hw, Classes: 10,
		Params: []model.ParamSpec{
			{Name: "conv.weight", Shape: []int{cout, 3, 7, 7}, Kind: model.KindWeight},
			{Name: "conv.bias", Shape: []int{cout}, Kind: model.KindBias},
			{Name: "fc.weight", Shape: []int{10, cout}, Kind: model.KindWeight},
			{Name: "fc.bias", Shape: []int{10}, Kind: model.KindBias},
		},
		Ops: []model.Op{
			{Kind: model.OpConv, In: 0, Out: 1, Weight: "conv.weight", Bias: "conv.bias", K: 7, Stride: 2, Pad: 3},
			{Kind: model.OpMaxPool, In: 1, Out: 2, Win: model.Window{KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}},
			{Kind: model.OpGlobalAvgPool, In: 2, Out: 3},
			{Kind: model.OpLinear, In: 3, Out: 4, Weight: "fc.weight", Bias: "fc.bias"},
		},
		Slots:  [][3]int{{3, hw, hw}, {cout, h1, h1}, {cout, h2, h2}, {cout, 1, 1}, {10, 1, 1}},
		Output: 4,
	}
}

// TestConvPool checks that a convolution and the max pool after it computed band by band
// (convpool.go) give the logits of the two computed one after the other, bit for bit, in
// float32 and bfloat16, for bands that do and do not divide the pool's rows.
func TestConvPool(t *testing.T) {
	for _, bf16 := range []bool{false, true} {
		for _, hw := range []int{64, 128} {
			t.Run(fmt.Sprintf("bf16=%v/%dx%d", bf16, hw, hw), func(t *testing.T) {
				const images = 5
				n := stemNet(hw, 24)
				w := model.Init(n, 1)
				dx, dy := direction.Random(n, "weights", 1, 0), direction.Random(n, "weights", 1, 1)
				p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, 3, hw, hw, 10, 1))
				if err != nil {
					t.Fatal(err)
				}
				for _, rows := range []int{0, 3} {
					logits := func(fused bool) []float32 {
						e, err := NewWith(p, Options{Batch: 2, BF16: bf16})
						if err != nil {
							t.Fatal(err)
						}
						if !e.steps[0].poolNext || !e.steps[1].pooled {
							t.Fatalf("the stem and its pool are not computed band by band")
						}
						if rows > 0 {
							e.steps[0].bandRows = rows
						}
						if !fused {
							e.steps[0].poolNext, e.steps[1].pooled = false, false
						}
						var all []float32
						ws := e.prepare(engine.Point{A: 0.3, B: -0.1})
						for first := 0; first < images; first += 2 {
							nb := min(2, images-first)
							out, ld := e.forward(ws, first, nb)
							for c := range 10 {
								all = append(all, out[c*ld:][:nb]...)
							}
						}
						return all
					}
					want, got := logits(false), logits(true)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("band rows %d: logit %d = %v, want %v (%s kernels)", rows, i, got[i], want[i], KernelName(Options{BF16: bf16}))
						}
					}
				}
			})
		}
	}
}
