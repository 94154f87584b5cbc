package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// eltwiseInputs returns n values: normal ones over ±12 (where the activations bend), some of
// large magnitude, and the special values (±0, ±Inf, NaN, the largest float32, subnormals).
func eltwiseInputs(n int, rng *rand.Rand) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1e-40, -1e-40, 88.7, -88.7, 103.9, -103.9, 3, -3}
	v := make([]float32, n)
	for i := range v {
		switch {
		case i < len(special) && n > 40:
			v[i] = special[i]
		case i%7 == 3:
			v[i] = float32(rng.NormFloat64() * 60)
		default:
			v[i] = float32(rng.NormFloat64() * 4)
		}
	}
	return v
}

// ulpDiff is the distance between a and b in float32 steps (0 when both are NaN).
func ulpDiff(a, b float32) float64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.Inf(1)
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 == (ib < 0x80000000) {
		return math.Abs(float64(ia - ib))
	}
	return float64((ia &^ 0x80000000) + (ib &^ 0x80000000)) // across zero
}

// TestActivateMatchesReference checks activate (the vector kernels where the CPU has them)
// against ActivateLayer, the float64 reference: bit for bit for ReLU, Clip, HardSigmoid and
// HardSwish, within 4 ulp for Sigmoid and SiLU (3 measured on 2^20 normal values) or 1e−30 absolute (below x ≈ −88.7, e^(−x)
// overflows float32 and x/(1 + e^(−x)) is −0 where the reference has −1e−37 or less, as in
// PyTorch's float32 SiLU), for lengths around the vector widths, in place and not, writing
// nothing past dst.
func TestActivateMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	kinds := []model.OpKind{model.OpReLU, model.OpClip, model.OpHardSigmoid, model.OpHardSwish, model.OpSigmoid, model.OpSiLU}
	l := &model.Layer{Lo: 0, Hi: 6, Alpha: 1.0 / 6, Beta: 0.5}
	for _, kind := range kinds {
		exact := kind != model.OpSigmoid && kind != model.OpSiLU
		for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 200, 4099} {
			src := eltwiseInputs(n, rng)
			want := make([]float32, n)
			ActivateLayer(kind, l, want, src)
			for _, inPlace := range []bool{false, true} {
				got := make([]float32, n+3)
				got[n], got[n+1], got[n+2] = 7, 7, 7
				in := src
				if inPlace {
					copy(got, src)
					in = got[:n]
				}
				activate(kind, l, got[:n], in)
				for i := range n {
					d := ulpDiff(got[i], want[i])
					if exact && d != 0 || !exact && d > 4 && math.Abs(float64(got[i]-want[i])) > 1e-30 {
						t.Fatalf("%v n=%d in place %v: x=%v gives %v, want %v (%g ulp)", kind, n, inPlace, src[i], got[i], want[i], d)
					}
				}
				if got[n] != 7 || got[n+2] != 7 {
					t.Fatalf("%v n=%d: wrote past dst", kind, n)
				}
			}
		}
	}
}

// TestRowArith checks addRow, mulRow and scaleRow bit for bit against their Go loops.
func TestRowArith(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		a, b := eltwiseInputs(n, rng), eltwiseInputs(n, rng)
		f := float32(rng.NormFloat64())
		for _, c := range []struct {
			name      string
			fast, ref func(dst []float32)
		}{
			{"add", func(d []float32) { addRow(d, a, b) }, func(d []float32) { addRowGo(d, a, b) }},
			{"mul", func(d []float32) { mulRow(d, a, b) }, func(d []float32) { mulRowGo(d, a, b) }},
			{"scale", func(d []float32) { scaleRow(d, a, f) }, func(d []float32) { scaleRowGo(d, a, f) }},
		} {
			got, want := make([]float32, n+1), make([]float32, n+1)
			c.fast(got[:n])
			c.ref(want[:n])
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("%s n=%d: element %d = %v, want %v", c.name, n, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkActivate measures activate on a row of 32 768 floats (128 KiB, within L2), normal
// with σ = 3 as activations are (values far out give subnormal results, which cost the CPU
// microcode assists), for the kinds with vector kernels.
func BenchmarkActivate(b *testing.B) {
	l := &model.Layer{Lo: 0, Hi: 6, Alpha: 1.0 / 6, Beta: 0.5}
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 1<<15)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 3)
	}
	dst := make([]float32, len(src))
	for _, kind := range []model.OpKind{model.OpClip, model.OpHardSwish, model.OpSigmoid, model.OpSiLU} {
		b.Run(kind.String(), func(b *testing.B) {
			for b.Loop() {
				activate(kind, l, dst, src)
			}
			b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		})
	}
}

// TestMeanRow checks meanRow against GlobalAvgPool (its float64 sum in another order) for
// lengths around the vector width: equal after rounding to float32 here, and the float64 sums
// within 1e−12 relative.
func TestMeanRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for _, n := range []int{1, 7, 8, 15, 16, 17, 31, 49, 196, 3136, 12545} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64()*3 + 1)
		}
		want := make([]float32, 1)
		GlobalAvgPool(want, src, n)
		if got := meanRow(src); got != want[0] {
			t.Fatalf("n=%d: mean %v, want %v", n, got, want[0])
		}
		if s, r := sumRow(src), sumRowGo(src); math.Abs(s-r) > 1e-12*math.Abs(r) {
			t.Fatalf("n=%d: sum %v, want %v", n, s, r)
		}
	}
}
