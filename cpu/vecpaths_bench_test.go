package cpu

import (
	"math/rand/v2"
	"testing"

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

// gfloats reports n floats a call as Gfloat/s.
func gfloats(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
}

// BenchmarkVecPaths measures each kernel set (AVX-512, AVX2, Go) on rows of 32 768 floats
// (within L2; normal with σ = 3): the activations with kernels, add, the max of two rows and
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
				for b.Loop() {
					activate(kind, l, dst, src[:n])
				}
				gfloats(b, n)
			})
		})
	}
	b.Run("Add", func(b *testing.B) {
		benchPaths(b, hasEltAsm, hasEltAVX2, setElt, func(b *testing.B) {
			for b.Loop() {
				addRow(dst, src[:n], src2)
			}
			gfloats(b, n)
		})
	})
	setPool := func(a, c bool) { hasPoolAsm, hasPoolAVX2 = a, c }
	b.Run("MaxInto", func(b *testing.B) {
		benchPaths(b, hasPoolAsm, hasPoolAVX2, setPool, func(b *testing.B) {
			for b.Loop() {
				maxInto(dst, src2)
			}
			gfloats(b, n)
		})
	})
	b.Run("MaxWindow3s2", func(b *testing.B) {
		benchPaths(b, hasPoolAsm, hasPoolAVX2, setPool, func(b *testing.B) {
			for b.Loop() {
				maxWindow(dst[:n/2], src, 3, 2)
			}
			gfloats(b, n/2)
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
			for b.Loop() {
				dwKernel(dst[:q], src, off, w, 0.1, 0, 6)
			}
			b.ReportMetric(float64(2*9*q)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	})
}
