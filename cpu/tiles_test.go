package cpu

import (
	"context"
	"math"
	"testing"

	"landscape/cpu/gemm"
	"landscape/engine"
	"landscape/internal/enginetest"
)

// TestPhaseTilesBF16 checks the stride-2 convolutions that read their input's phase planes
// from a grid of channel pairs (tiles.go) on AMX: that those of 32 channels or more do (3×3
// and the 1×1 projection, which reads the planes the 3×3 stored), the odd 7×7 output of
// resnet8 at 28 pixels and a last batch of fewer images included, and that the loss is refForwardBF16's
// up to the order of the sums.
func TestPhaseTilesBF16(t *testing.T) {
	if !gemm.BF16Tiled() {
		t.Skip("no AMX tiles on this machine")
	}
	cases := []struct {
		model          string
		inC, hw, batch int
	}{
		{"resnet20", 3, 32, 3},
		{"resnet8", 2, 28, 4},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			const images = 11
			p := testProblem(t, c.model, c.inC, c.hw, images)
			pt := engine.Point{A: 0.2, B: -0.3}
			e, err := NewWith(p, Options{Batch: c.batch, BF16: true})
			if err != nil {
				t.Fatal(err)
			}
			phase, shared := 0, 0
			for _, st := range e.steps {
				if st.kind == convPhase && st.l.InShape[0]%32 == 0 {
					if !st.tiled {
						t.Errorf("stride-2 step %v→%v does not read a grid", st.l.InShape, st.l.OutShape)
					}
					phase++
					if st.pairsIn {
						shared++
					}
				}
			}
			if phase < 2 || shared == 0 {
				t.Errorf("%d stride-2 steps of ≥ 32 channels, %d reading the planes another stored; want ≥ 2 and ≥ 1", phase, shared)
			}
			got, err := e.Evaluate(context.Background(), []engine.Point{pt}, 0, images)
			if err != nil {
				t.Fatal(err)
			}
			w, b := enginetest.Folded(p, pt)
			want := refLossBF16(p, w, b, images)
			if d := math.Abs(got[0].Loss - want); !(d <= 2e-3*math.Abs(want)) {
				t.Errorf("loss sum %v, want %v (difference %.3g)", got[0].Loss, want, d)
			}
		})
	}
}
