package cpu

import (
	"math/rand/v2"
	"testing"

	"landscape/internal/cputime"
	"landscape/model"
)

// benchPaths runs body as a sub-benchmark per kernel set the CPU has (as forEachPath).
func benchPaths(b *testing.B, has512, has2 bool, set func(avx512, avx2 bool), body func(b *testing.B)) {
	defer set(has512, has2)
	for _, p := range []vecPath{{"avx512", true, false}, {"avx2", false, true}, {"go", false, false}} {
		if p.avx512 && !has512 || p.avx2 && !has2 {
			continue
		}
		set(p.avx512, p.avx2)
		b.Run(p.name, body)
	}
}

// loopRate runs f b.N times and reports units (a call) per ns of wall time as name/s and per
// ns of the process's CPU time as name/cpu-s (the core's speed on a loaded machine).
func loopRate(b *testing.B, units float64, name string, f func()) {
	c0 := cputime.Process().Seconds()
	for b.Loop() {
		f()
	}
	b.ReportMetric(units*float64(b.N)/b.Elapsed().Seconds()/1e9, name+"/s")
	if c := cputime.Process().Seconds() - c0; c > 0 {
		b.ReportMetric(units*float64(b.N)/c/1e9, name+"/cpu-s")
	}
}

// BenchmarkTransformerRows measures the transformer layers' row kernels on ViT-B/16's shapes
// (one image: 197 tokens, 768 channels, 12 heads) on each kernel set (AVX2 has no GELU, softmax
// or LayerNorm kernel of its own: its rows are the Go ones) beside the float64 references they
// replace (ActivateLayer's math.Erf GELU, SoftmaxChannels): GELU on the MLP's 3072 channels,
// the attention softmax over 197 keys, LayerNorm over 768 channels.
func BenchmarkTransformerRows(b *testing.B) {
	const t, d, heads = 197, 768, 12
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 4*d*t)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 2)
	}
	y := make([]float32, len(x))
	gamma, beta := x[:d], x[d:2*d]
	l := &model.Layer{}
	setElt := func(a, c bool) { hasEltAsm, hasEltAVX2 = a, c }
	b.Run("GELU", func(b *testing.B) {
		benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
			loopRate(b, float64(len(x)), "Gfloat", func() { activate(model.OpGELU, l, y, x) })
		})
		b.Run("float64-erf", func(b *testing.B) {
			loopRate(b, float64(len(x)), "Gfloat", func() { ActivateLayer(model.OpGELU, l, y, x) })
		})
	})
	b.Run("Softmax", func(b *testing.B) {
		benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
			loopRate(b, float64(heads*t*t), "Gfloat", func() { softmaxRows(y, x, heads*t, heads, t, t, t) })
		})
		b.Run("float64", func(b *testing.B) {
			loopRate(b, float64(heads*t*t), "Gfloat", func() { SoftmaxChannels(y, x, heads*t, heads, t, t, t) })
		})
	})
	b.Run("LayerNorm", func(b *testing.B) {
		benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
			loopRate(b, float64(d*t), "Gfloat", func() { LayerNormChannels(y, x, d, t, t, t, gamma, beta, 1e-6) })
		})
	})
}

// BenchmarkVecPaths measures each kernel set (AVX-512, AVX2, Go) on rows of 32 768 floats
// (within L2; normal with σ = 3), in wall and CPU time: the activations with kernels, add, the max of two rows and
// the 3-wide stride-2 window maximum, and a 3×3 depthwise plane of 56×56 (ReLU6).
func BenchmarkVecPaths(b *testing.B) {
	const n = 1 << 15
	rng := rand.New(rand.NewPCG(1, 2))
	src, src2, dst := make([]float32, 2*n+64), make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * 3)
	}
	copy(src2, src[n:])
	l := &model.Layer{Lo: 0, Hi: 6, Alpha: 1.0 / 6, Beta: 0.5}
	setElt := func(a, c bool) { hasEltAsm, hasEltAVX2 = a, c }
	for _, kind := range []model.OpKind{model.OpClip, model.OpHardSwish, model.OpSigmoid, model.OpSiLU} {
		b.Run(kind.String(), func(b *testing.B) {
			benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
				loopRate(b, n, "Gfloat", func() { activate(kind, l, dst, src[:n]) })
			})
		})
	}
	b.Run("Add", func(b *testing.B) {
		benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
			loopRate(b, n, "Gfloat", func() { addRow(dst, src[:n], src2) })
		})
	})
	setPool := func(a, c bool) { hasPoolAsm, hasPoolAVX2 = a, c }
	b.Run("MaxInto", func(b *testing.B) {
		benchPaths(b, hasPoolAsm, hasPoolAVX2, setPool, func(b *testing.B) {
			loopRate(b, n, "Gfloat", func() { maxInto(dst, src2) })
		})
	})
	b.Run("MaxWindow3s2", func(b *testing.B) {
		benchPaths(b, hasPoolAsm, hasPoolAVX2, setPool, func(b *testing.B) {
			loopRate(b, n/2, "Gfloat", func() { maxWindow(dst[:n/2], src, 3, 2) })
		})
	})
	const side = 56
	q := side * (side + 2)
	off := make([]int32, 9)
	for t := range off {
		off[t] = int32(t/3*(side+2) + t%3)
	}
	w := src2[:9]
	b.Run("Depthwise3x3", func(b *testing.B) {
		benchPaths(b, hasDWAsm, hasDWAVX2, func(a, c bool) { hasDWAsm, hasDWAVX2 = a, c }, func(b *testing.B) {
			loopRate(b, float64(2*9*q), "GFLOP", func() { dwKernel(dst[:q], src, off, w, 0.1, 0, 6) })
		})
	})
}
