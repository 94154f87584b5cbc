package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// TestMaxPoolSeparable compares the separable maximum with PoolWindow on windows, strides and
// paddings of imported networks (ResNet's 3×3 stride-2 stem pool among them), with NaNs, with
// the vector kernels where the CPU has them and with the Go loops.
func TestMaxPoolSeparable(t *testing.T) {
	asm := hasPoolAsm
	defer func() { hasPoolAsm = asm }()
	for _, vec := range []bool{asm, false} {
		hasPoolAsm = vec
		testMaxPoolSeparable(t)
	}
}

func testMaxPoolSeparable(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, win := range []model.Window{
		{KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		{KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
		{KH: 3, KW: 2, SH: 2, SW: 1, DH: 1, DW: 1, PadT: 0, PadL: 1, PadB: 1, PadR: 0, Ceil: true},
		{KH: 5, KW: 5, SH: 3, SW: 3, DH: 1, DW: 1, PadT: 2, PadL: 2, PadB: 2, PadR: 2, Ceil: true},
	} {
		for _, hw := range [][2]int{{7, 7}, {8, 11}, {5, 33}, {9, 64}, {112, 112}} {
			h, w := hw[0], hw[1]
			in := make([]float32, h*w)
			for i := range in {
				in[i] = rng.Float32()*2 - 1
				if rng.IntN(50) == 0 {
					in[i] = float32(math.NaN())
				}
			}
			oh, ow := win.OutSize(h, w)
			want, got := make([]float32, oh*ow), make([]float32, oh*ow)
			PoolWindow(want, in, h, w, win, false)
			maxPoolSeparable(got, in, h, w, win, make([]float32, poolRowLen(w, win)))
			for i := range want {
				if got[i] != want[i] && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
					t.Fatalf("vector kernels %v, %+v on %dx%d: output %d = %v, want %v", hasPoolAsm, win, h, w, i, got[i], want[i])
				}
			}
		}
	}
}
