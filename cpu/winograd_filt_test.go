package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// winoFiltTol bounds winoFiltersAsm's error against winoFilters64, in units of 2⁻²⁴ (half a
// float32 step at 1) of the largest |(G g Gᵀ)_ξ| of the filter. Each of the 36 values is a sum
// H g Hᵀ of the 9 taps with weights up to 7·7 (rows 3 and 4 of H are 1, ±2, 4), rounded 2–4
// times in float32, then scaled by the rounded fl(d_i·d_j) (two more half-steps of the value).
// Over 32768 random filters each of uniform, normal, one-tap and centre-heavy taps the largest
// error was 3.0 units (1.8e-7); this test's filters give 2.0. Filters whose G g Gᵀ is small
// beside their taps can do worse (the error scales with the taps), but never beyond float32
// arithmetic on the taps' scale. A slip in a constant as small as 1/576·(1 + 5e-6) fails it.
const winoFiltTol = 4

// TestWinoFiltersAsm compares the AVX-512 filter transform with the float64 one on random
// filters (taps uniform in ±1, each filter scaled by 2^e, e in −20 … 20) of several shapes:
// input channels below, at and past multiples of 16 (the kernel's group), weights rows longer
// than 9·cin. The error of each filter is taken relative to its largest value; every value of
// u must be written, and nothing past it.
func TestWinoFiltersAsm(t *testing.T) {
	if !hasWinoFiltAsm {
		t.Skip("no AVX-512 filter transform in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 20))
	worst := 0.0
	for _, s := range []struct{ cout, cin, pad int }{{1, 1, 0}, {2, 3, 0}, {3, 16, 0}, {5, 17, 4}, {4, 64, 0}, {3, 100, 7}, {2, 35, 0}} {
		ldw := 9*s.cin + s.pad
		w := make([]float32, s.cout*ldw)
		for co := range s.cout {
			for ci := range s.cin {
				scale := float32(math.Ldexp(1, rng.IntN(41)-20))
				for k := range 9 {
					w[co*ldw+9*ci+k] = scale * (2*rng.Float32() - 1)
				}
			}
		}
		n := winoXi * s.cout * s.cin
		got, want := make([]float32, n+16), make([]float32, n)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		winoFiltersAsm(got, w, ldw, s.cout, s.cin)
		winoFilters64(want, w, ldw, s.cout, s.cin)
		for i, v := range got[n:] {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("cout %d, cin %d: u[%d] past the end written", s.cout, s.cin, n+i)
			}
		}
		e := winoFiltErr(t, got[:n], want, s.cout, s.cin)
		worst = max(worst, e)
		if e > winoFiltTol {
			t.Errorf("cout %d, cin %d: error %.2f float32 steps of a filter's largest value, more than %d", s.cout, s.cin, e, winoFiltTol)
		}
	}
	t.Logf("largest error: %.2f float32 steps (2^-24) of a filter's largest value", worst)
}

// winoFiltErr returns the largest error of got against want over the filters (co, ci), each in
// float32 steps of the filter's largest |want|; it fails t on a value not written (NaN).
func winoFiltErr(t *testing.T, got, want []float32, cout, cin int) float64 {
	worst := 0.0
	for co := range cout {
		for ci := range cin {
			big, diff := 0.0, 0.0
			for xi := range winoXi {
				i := (xi*cout+co)*cin + ci
				if math.IsNaN(float64(got[i])) {
					t.Fatalf("cout %d, cin %d: u[%d] (ξ %d, co %d, ci %d) not written", cout, cin, i, xi, co, ci)
				}
				big = max(big, math.Abs(float64(want[i])))
				diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
			}
			worst = max(worst, diff/(big*0x1p-24))
		}
	}
	return worst
}

// BenchmarkWinoFilters transforms the filters of one of resnet18's 512 → 512 layers (9.4 MB
// of weights into 37.7 MB), in float64 (winoFilters64) and with AVX-512 (winoFiltersAsm).
func BenchmarkWinoFilters(b *testing.B) {
	const cin, cout = 512, 512
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 9*cin*cout)
	for i := range w {
		w[i] = 2*rng.Float32() - 1
	}
	u := make([]float32, winoXi*cin*cout)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"float64", func() { winoFilters64(u, w, 9*cin, cout, cin) }},
		{"avx512", func() { winoFiltersAsm(u, w, 9*cin, cout, cin) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.name == "avx512" && !hasWinoFiltAsm {
				b.Skip("no AVX-512 filter transform")
			}
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*cin*cout), "ns/filter")
		})
	}
}
