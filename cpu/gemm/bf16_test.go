package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// nearestBF16 is RoundBF16 by definition: the bfloat16 nearest to x in float64, ties to the
// even mantissa, found among the two truncations around x.
func nearestBF16(x float32) float32 {
	lo := math.Float32frombits(math.Float32bits(x) &^ 0xffff)
	hi := math.Float32frombits(math.Float32bits(lo) + 0x10000) // next bfloat16 away from zero
	dl, dh := math.Abs(float64(x)-float64(lo)), math.Abs(float64(hi)-float64(x))
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case math.Float32bits(lo)>>16&1 == 0:
		return lo
	}
	return hi
}

func TestRoundBF16(t *testing.T) {
	for _, c := range []struct{ in, want float32 }{
		{1, 1},
		{math.Float32frombits(0x3f808000), 1}, // tie, even below
		{math.Float32frombits(0x3f818000), math.Float32frombits(0x3f820000)}, // tie, odd below
		{math.Float32frombits(0x3f808001), math.Float32frombits(0x3f810000)}, // just above the tie
		{-3.14159, -3.140625},
		{math.MaxFloat32, float32(math.Inf(1))}, // beyond the largest bfloat16
		{float32(math.Inf(-1)), float32(math.Inf(-1))},
		{0, 0},
	} {
		if got := RoundBF16(c.in); math.Float32bits(got) != math.Float32bits(c.want) {
			t.Errorf("RoundBF16(%v = %#x) = %v (%#x), want %v", c.in, math.Float32bits(c.in), got, math.Float32bits(got), c.want)
		}
	}
	for _, nan := range []uint32{0x7fc00000, 0x7f800001, 0xffffffff} {
		if got := RoundBF16(math.Float32frombits(nan)); !math.IsNaN(float64(got)) || math.Float32bits(got)&0xffff != 0 {
			t.Errorf("RoundBF16(NaN %#x) = %#x, want a NaN with a zero lower half", nan, math.Float32bits(got))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		x := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 3.38e38 {
			continue
		}
		if got, want := RoundBF16(x), nearestBF16(x); got != want {
			t.Fatalf("RoundBF16(%v = %#x) = %#x, want %#x", x, math.Float32bits(x), math.Float32bits(got), math.Float32bits(want))
		}
	}
}

// forEachBF16Impl runs f with each FusedBF16 implementation this machine has: AMX where the
// CPU and Linux allow it, and the float32 kernels (the best one) on bfloat16 inputs.
func forEachBF16Impl(t *testing.T, f func(t *testing.T)) {
	saved := bf16Current
	defer func() { bf16Current = saved }()
	names := []string{""}
	for _, im := range archBF16s() {
		names = append(names, im.name())
	}
	for _, name := range names {
		if !SetBF16Impl(name) {
			t.Fatalf("SetBF16Impl(%q) failed", name)
		}
		t.Run(BF16KernelName(), f)
	}
}

// forEachBF16Order runs f with each FusedBF16 implementation (forEachBF16Impl), the tile
// kernels both streaming A for each panel of B and, with amxStationaryBytes 1, over A in
// chunks of one 32-row block (fusedStationary) wherever B has more than one panel.
func forEachBF16Order(t *testing.T, f func(t *testing.T)) {
	saved := amxStationaryBytes
	defer func() { amxStationaryBytes = saved }()
	for _, bytes := range []int{saved, 1} {
		amxStationaryBytes = bytes
		t.Run(fmt.Sprintf("stationary=%d", bytes), func(t *testing.T) { forEachBF16Impl(t, f) })
	}
}

// TestFusedBF16 checks FusedBF16 on bfloat16 inputs against the float64 reference with the
// float32 tolerance of TestFused, on shapes with partial 32-row and 32-column blocks and k
// not a multiple of 32.
func TestFusedBF16(t *testing.T) {
	forEachBF16Order(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		var w Workspace
		for _, m := range []int{8, 16, 24, 40, 48, 64} {
			for _, n := range []int{16, 32, 48, 96} {
				for _, k := range []int{1, 27, 64, 300} {
					fc := fusedCase{m: m, n: n, k: k, res: rng.IntN(2) == 0, relu: rng.IntN(2) == 0,
						gapA: rng.IntN(3), gapC: rng.IntN(3) * 7, bf16: true, roundC: rng.IntN(2) == 0}
					if !fc.run(t, rng, &w) {
						return
					}
				}
			}
		}
	})
}

func TestFusedBF16NoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are counted differently under the race detector")
	}
	forEachBF16Impl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		const m, n, k = 32, 256, 288
		a := make([]float32, m*k)
		b := randomGathered(rng, n, k)
		c, bias, res := make([]float32, m*n), make([]float32, m), make([]float32, m*n)
		var w Workspace
		w.FusedBF16(m, n, k, a, k, b, c, n, bias, res, n, true)
		if allocs := testing.AllocsPerRun(10, func() { w.FusedBF16(m, n, k, a, k, b, c, n, bias, res, n, true) }); allocs != 0 {
			t.Errorf("%v allocations per call", allocs)
		}
	})
}

// TestRoundBF16s checks the vector rounding (AVX-512 where present) element by element against
// RoundBF16 on random bit patterns, NaNs and ties included, for lengths around multiples of 16.
func TestRoundBF16s(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 15, 16, 17, 48, 100, 1024} {
		x := make([]float32, n)
		for i := range x {
			b := rng.Uint32()
			switch rng.IntN(4) {
			case 0:
				b = b&0xffff0000 | 0x8000 // a tie
			case 1:
				b |= 0x7f800000 // Inf or NaN
			}
			x[i] = math.Float32frombits(b)
		}
		want := make([]float32, n)
		for i, v := range x {
			want[i] = RoundBF16(v)
		}
		RoundBF16s(x)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d = %#x, want %#x", n, i, math.Float32bits(x[i]), math.Float32bits(want[i]))
			}
		}
	}
}
