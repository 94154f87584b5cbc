package cpu

import "testing"

// vecPath is one of the vector kernel sets the engine picks from: AVX-512, AVX2 (with FMA) or
// the Go loops.
type vecPath struct {
	name         string
	avx512, avx2 bool
}

// forEachPath runs body as a subtest once per kernel set this CPU can run (has512, has2 say
// which), with set switching the dispatch to it, and restores the dispatch afterwards.
func forEachPath(t *testing.T, has512, has2 bool, set func(avx512, avx2 bool), body func(t *testing.T)) {
	defer set(has512, has2)
	for _, p := range []vecPath{{"avx512", true, false}, {"avx2", false, true}, {"go", false, false}} {
		if p.avx512 && !has512 || p.avx2 && !has2 {
			t.Logf("%s: not on this CPU", p.name)
			continue
		}
		set(p.avx512, p.avx2)
		t.Run(p.name, body)
	}
}

// TestEltwisePaths runs the element-wise tests (activations against the float64 reference:
// bit for bit for the exact kinds, ≤ 4 ulp for Sigmoid and SiLU; add, multiply, scale bit for
// bit; the mean) on each kernel set, and GELU's kernels against their Go twin.
func TestEltwisePaths(t *testing.T) {
	forEachPath(t, hasEltAsm, hasEltAVX2, func(a, b bool) { hasEltAsm, hasEltAVX2 = a, b }, func(t *testing.T) {
		TestActivateMatchesReference(t)
		TestSigmoidSiLUTails(t)
		TestRowArith(t)
		TestMeanRow(t)
		TestGELUKernels(t)
	})
}

// TestDepthwisePaths runs the depthwise tests (against GroupConv; the row copies and the
// stride-2 split against their Go loops) on each kernel set.
func TestDepthwisePaths(t *testing.T) {
	forEachPath(t, hasDWAsm, hasDWAVX2, func(a, b bool) { hasDWAsm, hasDWAVX2 = a, b }, func(t *testing.T) {
		TestDepthwiseMatchesGroupConv(t)
		TestCopyRows(t)
	})
}

// TestPoolPaths runs the separable max-pooling test (against PoolWindow, with NaNs) on each
// kernel set.
func TestPoolPaths(t *testing.T) {
	forEachPath(t, hasPoolAsm, hasPoolAVX2, func(a, b bool) { hasPoolAsm, hasPoolAVX2 = a, b }, testMaxPoolSeparable)
}
