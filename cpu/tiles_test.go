package cpu

import (
	"context"
	"math"
	"testing"

	"landscape/cpu/gemm"
	"landscape/engine"
	"landscape/internal/enginetest"
)

// TestPhaseTilesBF16 checks the stride-2 3×3 convolutions that read their input's phase
// planes from a grid of channel pairs (tiles.go) on AMX: that those of 32 channels or more do,
// that they store phase plane 0 as float32 for the 1×1 projection beside them (which does
// not read a grid), the odd 7×7 output of resnet8 at 28 pixels and a last batch of fewer
// images included, and that the loss is refForwardBF16's up to the order of the sums.
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
			tiled, float := 0, 0
			for _, st := range e.steps {
				if st.kind != convPhase || st.l.InShape[0]%32 != 0 {
					continue
				}
				if k3 := st.l.Window().KH == 3; st.tiled != k3 {
					t.Errorf("stride-2 step %v→%v (k %d) reads a grid: %v", st.l.InShape, st.l.OutShape, st.l.Window().KH, st.tiled)
				}
				if st.tiled {
					tiled++
					if st.tgrid.floatPhases == 1 {
						float++
					}
				}
			}
			if tiled == 0 || float == 0 {
				t.Errorf("%d stride-2 3×3 steps read a grid, %d of them store phase 0 for a 1×1; want ≥ 1 and ≥ 1", tiled, float)
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
