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
// HardSwish, within 4 float32 steps for Sigmoid and SiLU (3 measured on 2^20 normal values;
// subnormal results too, counted in steps of 2^−149, and NaN exactly where the reference has
// NaN), for lengths around the vector widths, in place and not, writing nothing past dst.
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
					if exact && d != 0 || !exact && d > 4 {
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

// tailInputs returns the inputs where σ(x) and x·σ(x) leave the normal floats or their
// float32 exponentials would: every 1/128 over ±[80, 112] (σ subnormal below −87.3, 0 below
// −103.97; x·σ(x) subnormal below −87.3, −0 below −108.67; the kernels clamp at −110), random
// magnitudes up to 1e6 and 1e38 of both signs, the largest floats, ±Inf, NaN, ±0, subnormals.
func tailInputs(rng *rand.Rand) []float32 {
	v := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0,
		float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45, 1e-40, -1e-40,
		-87.33655, -103.97208, -108.67, -110, -110.00001, 88.72284}
	for x := 80.0; x <= 112; x += 1.0 / 128 {
		v = append(v, float32(x), float32(-x))
	}
	for range 500 {
		m := math.Exp(rng.Float64() * math.Log(1e6))
		v = append(v, float32(m), float32(-m), float32(-m*1e32))
	}
	return v
}

// TestSigmoidSiLUTails checks Sigmoid and SiLU (the vector kernels, and the AVX-512 row kernel)
// on tailInputs against the float64 reference with TestActivateMatchesReference's rule: within
// 4 float32 steps, where a subnormal or zero result is counted in steps of 2^−149 (so −0 for
// x·σ(x) below −108.67 exactly, and 0, ±2^−149… where the reference rounds to a subnormal), and
// NaN exactly where the reference has NaN (x = NaN; SiLU of −Inf, −Inf/(1 + Inf)).
func TestSigmoidSiLUTails(t *testing.T) {
	src := tailInputs(rand.New(rand.NewPCG(8, 9)))
	for _, kind := range []model.OpKind{model.OpSigmoid, model.OpSiLU} {
		want, got := make([]float32, len(src)), make([]float32, len(src))
		ActivateLayer(kind, &model.Layer{}, want, src)
		activate(kind, &model.Layer{}, got, src)
		checkTails(t, kind.String(), src, got, want)
		if kind == model.OpSiLU && hasActRowsAsm(kind) {
			clear(got)
			activateRowsAsm(kind, got, 1, src, 1, len(src), 1)
			checkTails(t, "silu rows", src, got, want)
		}
	}
}

func checkTails(t *testing.T, name string, src, got, want []float32) {
	t.Helper()
	worst := 0.0
	for i, x := range src {
		d := ulpDiff(got[i], want[i])
		if d > 4 {
			t.Errorf("%s: x=%v (%#x) gives %v, want %v (%g steps)", name, x, math.Float32bits(x), got[i], want[i], d)
		}
		worst = max(worst, d)
	}
	t.Logf("%s: %d inputs, at most %g steps from the reference", name, len(src), worst)
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
