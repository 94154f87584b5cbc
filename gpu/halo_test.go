package gpu

import (
	"context"
	"strings"
	"testing"

	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
)

func TestHaloEligible(t *testing.T) {
	for _, c := range []struct {
		name string
		g    model.ConvGeom
		b    int
		want bool
	}{
		// ResNet-56's stages on 32x32 CIFAR images, 128 images a batch.
		{"stage 1 3x3", model.ConvGeom{Cin: 16, H: 32, W: 32, Cout: 16, OH: 32, OW: 32, K: 3, Stride: 1, Pad: 1}, 128, true},
		{"stage 2 3x3", model.ConvGeom{Cin: 32, H: 16, W: 16, Cout: 32, OH: 16, OW: 16, K: 3, Stride: 1, Pad: 1}, 128, true},
		// 8 output rows of 16 at stride 2: 17 input rows of 33 columns, 561 > 256 pixels.
		{"stage 2 stride 2", model.ConvGeom{Cin: 16, H: 32, W: 32, Cout: 32, OH: 16, OW: 16, K: 3, Stride: 2, Pad: 1}, 128, false},
		{"stage 3 (Cout 64)", model.ConvGeom{Cin: 64, H: 8, W: 8, Cout: 64, OH: 8, OW: 8, K: 3, Stride: 1, Pad: 1}, 128, false},
		{"1x1 projection", model.ConvGeom{Cin: 16, H: 32, W: 32, Cout: 32, OH: 16, OW: 16, K: 1, Stride: 2}, 128, false},
		{"Cin 24", model.ConvGeom{Cin: 24, H: 8, W: 8, Cout: 16, OH: 8, OW: 8, K: 3, Stride: 1, Pad: 1}, 4, false},
		{"W 6", model.ConvGeom{Cin: 16, H: 6, W: 6, Cout: 16, OH: 6, OW: 6, K: 3, Stride: 1, Pad: 1}, 4, false},
		// 2 images of 8x8 a block: 10 + 10 input rows of 10 columns = 200 pixels.
		{"8x8, Cout 32", model.ConvGeom{Cin: 16, H: 8, W: 8, Cout: 32, OH: 8, OW: 8, K: 3, Stride: 1, Pad: 1}, 128, true},
	} {
		if got := HaloEligible(c.g, c.b); got != c.want {
			t.Errorf("%s: HaloEligible = %v, want %v", c.name, got, c.want)
		}
	}
	// The 8x8 case by hand: image 0's input rows −1 … 8, a gap-free 10 more for image 1.
	if rows, width := haloRows(model.ConvGeom{Cin: 16, H: 8, W: 8, Cout: 32, OH: 8, OW: 8, K: 3, Stride: 1, Pad: 1}, 0, 128); rows != 20 || width != 10 {
		t.Errorf("haloRows(8x8, 2 images) = %d rows of %d, want 20 of 10", rows, width)
	}
	// A block straddling output rows 3 … 7 of a 8-row image at stride 2: rows 3·2−1 … 7·2+1 = 11.
	if rows, width := haloRows(model.ConvGeom{Cin: 16, H: 16, W: 16, Cout: 16, OH: 8, OW: 8, K: 3, Stride: 2, Pad: 1}, 24, 64); rows != 11 || width != 17 {
		t.Errorf("haloRows(stride 2, rows 3-7) = %d rows of %d, want 11 of 17", rows, width)
	}
}

// TestHaloLaunches: in tf32 and bf16 the engine runs resnet8's two 16-channel 12x12 convolutions
// on the halo kernels (the fake device refuses a halo launch for a layer they cannot take), and
// neither fp32 nor the reference path launches them.
func TestHaloLaunches(t *testing.T) {
	p, err := enginetest.Setup(enginetest.Cases[0], 1) // resnet8 on 12x12
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Precision: "tf32"}, {Precision: "bf16"}, {}, {Kernels: "reference", Precision: "tf32"}} {
		f := newFake(1 << 30)
		e, err := newEngine(f, 0, p, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 3); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		passes := f.launches["cross_entropy"] + f.launches["cross_entropy_bf16"]
		want := 0
		if o.Precision != "" && o.Kernels == "" {
			want = 2 * passes
		}
		got := 0
		for _, prec := range []string{"tf32", "bf16"} {
			got += f.launches[kernels.ConvHaloName(prec, 16)] + f.launches[kernels.ConvHaloName(prec, 32)]
		}
		if got != want || passes == 0 {
			t.Errorf("%+v: %d halo launches in %d passes, want %d", o, got, passes, want)
		}
	}
	// A launch the host should not have made is refused.
	f := newFake(1 << 30)
	g := model.ConvGeom{Cin: 16, H: 32, W: 32, Cout: 32, OH: 16, OW: 16, K: 3, Stride: 2, Pad: 1}
	err = f.launch("conv3_tf32_bm32", dim{ceilDiv(2*16*16, 128), 1, 1}, dim{128, 1, 1}, ptr(0), cint64(0), ptr(0), ptr(0), cint64(0),
		ptr(0), ptr(0), ptr(0), cint(2), cint(g.Cin), cint(g.H), cint(g.W), cint(g.Cout), cint(g.OH), cint(g.OW), cint(g.K),
		cint(g.Stride), cint(g.Pad), cint(0))
	if err == nil || !strings.Contains(err.Error(), "not halo-eligible") {
		t.Errorf("err = %v; ", err)
		t.Error("the fake device took a stride-2 32x32 halo launch (561-pixel halo)")
	}
}
