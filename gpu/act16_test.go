package gpu

import (
	"context"
	"strings"
	"testing"

	"landscape/internal/enginetest"
)

// TestBf16ActivationStorage: in bf16 a zoo plan stores its activations as bf16 (images converted
// once per batch by to_bf16, the bf16 pools and loss, no float32 activation kernel), while a plan
// with imported-graph layers keeps float32 activations and runs the bf16f conv kernels.
func TestBf16ActivationStorage(t *testing.T) {
	for _, c := range []int{0, 3} { // resnet8 (residuals, global average pool), vgg9 (max pools)
		p, err := enginetest.Setup(enginetest.Cases[c], 1)
		if err != nil {
			t.Fatal(err)
		}
		f := newFake(1 << 30)
		e, err := newEngine(f, 0, p, Options{Precision: "bf16", Points: 2, Images: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Evaluate(context.Background(), enginetest.Points[:2], 0, 3); err != nil {
			t.Fatal(err)
		}
		passes := f.launches["cross_entropy_bf16"]
		if !e.act16 || passes != 2 || f.launches["to_bf16"] != passes {
			t.Errorf("%s: act16 %v, %d bf16 loss launches, %d to_bf16, want true, 2, 2", p.Net.Name, e.act16, passes, f.launches["to_bf16"])
		}
		for name, n := range f.launches {
			if name == "cross_entropy" || name == "maxpool" || name == "avgpool" || strings.Contains(name, "bf16f") {
				t.Errorf("%s: %s launched %d times with bf16 activations", p.Net.Name, name, n)
			}
		}
		pool := map[int]string{0: "avgpool_bf16", 3: "maxpool_bf16"}[c]
		if f.launches[pool] == 0 {
			t.Errorf("%s: %s never launched", p.Net.Name, pool)
		}
	}
	cases, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := enginetest.Setup(cases[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(1 << 30)
	e, err := newEngine(f, 0, p, Options{Precision: "bf16", Points: 2, Images: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(context.Background(), enginetest.Points[:2], 0, 3); err != nil {
		t.Fatal(err)
	}
	if e.act16 || f.launches["cross_entropy"] == 0 || f.launches["to_bf16"] != 0 {
		t.Errorf("graph %s: act16 %v, launches %v: want float32 activations", p.Net.Name, e.act16, f.launches)
	}
	for name := range f.launches {
		if strings.HasPrefix(name, "conv") && strings.Contains(name, "_bf16_") {
			t.Errorf("graph %s: %s (bf16 activations) launched on float32 buffers", p.Net.Name, name)
		}
	}
}
