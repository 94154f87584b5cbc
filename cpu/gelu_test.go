package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// geluExact is GELU(x) = x/2·erfc(−x/√2) in float64, rounded to float32: accurate on both
// sides (no 1 + erf cancellation).
func geluExact(x float32) float32 {
	v := float64(x)
	return float32(v / 2 * math.Erfc(-v/math.Sqrt2))
}

// geluErrors returns the largest ulp distance of f from geluExact over every step-th float32
// in [−lim, lim], separately where the exact result is a normal float32 and where it is
// subnormal or zero.
func geluErrors(f func(dst, src []float32), lim float32, step uint32) (normal, sub float64) {
	var xs []float32
	for b := uint32(0); b <= math.Float32bits(lim); b += step {
		xs = append(xs, math.Float32frombits(b), -math.Float32frombits(b))
	}
	got := make([]float32, len(xs))
	f(got, xs)
	for i, x := range xs {
		want := geluExact(x)
		d := ulpDiff(got[i], want)
		if math.Abs(float64(want)) >= 0x1p-126 {
			normal = max(normal, d)
		} else {
			sub = max(sub, d)
		}
	}
	return normal, sub
}

// TestGELUAccuracy measures the float32 GELU (the Go twin, and the AVX-512 kernel where the
// CPU has one) against x/2·erfc(−x/√2) in float64 on every 1223rd float32 with |x| ≤ 16
// (1.8 million values; beyond, the result is x or −0 in both): at most 12 ulp where the result
// is a normal float32 (10 measured on every 61st float32: the rounding of
// t and of P's Horner steps), at most 16 steps of 2^−149 where it is subnormal (x < −13.1:
// q = Φ(x) is subnormal itself and x·q rounds it again). It also checks that the float64 erf
// formula (ActivateLayer's) agrees within 8 ulp (7 measured) where that formula is itself
// accurate (|x| ≤ 5; below −6 its 1 + erf cancels to nothing): the engine's GELU on CPUs
// without AVX-512.
func TestGELUAccuracy(t *testing.T) {
	step := uint32(1223)
	if testing.Short() {
		step = 9973
	}
	impls := []struct {
		name string
		f    func(dst, src []float32)
	}{{"go", geluGo}}
	if hasEltAsm {
		impls = append(impls, struct {
			name string
			f    func(dst, src []float32)
		}{"avx512", gelu})
	}
	for _, c := range impls {
		normal, sub := geluErrors(c.f, 16, step)
		t.Logf("%s: max error %v ulp (normal results), %v (subnormal)", c.name, normal, sub)
		if normal > 12 || sub > 16 {
			t.Errorf("%s: max error %v ulp on normal results (want ≤ 12), %v on subnormal ones (want ≤ 16)", c.name, normal, sub)
		}
	}
	l := &model.Layer{}
	var worst float64
	for b := uint32(0); b <= math.Float32bits(5); b += step {
		for _, x := range []float32{math.Float32frombits(b), -math.Float32frombits(b)} {
			var ref, got [1]float32
			ActivateLayer(model.OpGELU, l, ref[:], []float32{x})
			gelu(got[:], []float32{x})
			worst = max(worst, ulpDiff(got[0], ref[0]))
		}
	}
	if worst > 8 {
		t.Errorf("GELU differs from the float64 erf formula by %v ulp on |x| ≤ 5 (want ≤ 8)", worst)
	}
}

// TestGELUKernels checks the AVX-512 kernel against its Go twin, value for value (1 ulp allowed:
// the twin's fused multiply-adds go through float64 and may round twice), on normal values,
// large ones and the specials (NaN stays NaN, GELU(+Inf) = +Inf, GELU(−Inf) = NaN), for
// lengths around the vector width, writing nothing past dst.
func TestGELUKernels(t *testing.T) {
	if !hasEltAsm {
		t.Log("no AVX-512: gelu is ActivateLayer's float64 formula, no kernel to check")
		return
	}
	rng := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{1, 15, 16, 17, 33, 4099} {
		src := eltwiseInputs(n, rng)
		got := make([]float32, n+1)
		got[n] = 7
		want := make([]float32, n)
		gelu(got[:n], src)
		geluGo(want, src)
		if got[n] != 7 {
			t.Fatalf("n=%d: wrote past dst", n)
		}
		for i := range want {
			if d := ulpDiff(got[i], want[i]); d > 1 {
				t.Fatalf("n=%d: GELU(%v) = %v, Go twin %v", n, src[i], got[i], want[i])
			}
		}
	}
	inf := float32(math.Inf(1))
	for x, want := range map[float32]float32{inf: inf, 20: 20, -20: 0} {
		var got [1]float32
		gelu(got[:], []float32{x})
		if got[0] != want {
			t.Errorf("GELU(%v) = %v, want %v", x, got[0], want)
		}
	}
	var got [2]float32
	gelu(got[:], []float32{-inf, float32(math.NaN())})
	if got[0] == got[0] || got[1] == got[1] {
		t.Errorf("GELU(−Inf), GELU(NaN) = %v, want NaN", got)
	}
}
