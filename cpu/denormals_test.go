package cpu

import (
	"context"
	"math"
	"testing"

	"landscape/engine"
)

//go:noinline
func mulF32(a, b float32) float32 { return a * b }

// TestFlushDenormalsArithmetic: inside flushDenormals a float32 product below 2^-126 is zero and
// a subnormal operand counts as zero; after restore both are IEEE again (where the build can
// flush; elsewhere both stay IEEE).
func TestFlushDenormalsArithmetic(t *testing.T) {
	tiny := float32(1e-20)
	sub := math.Float32frombits(1) // the least subnormal, 2^-149
	want := func(flushed bool) {
		t.Helper()
		p, q := mulF32(tiny, tiny), mulF32(sub, 1<<20)
		if flushed && (p != 0 || q != 0) {
			t.Errorf("flushed: 1e-20·1e-20 = %g, 2^-149·2^20 = %g; want 0 and 0", p, q)
		}
		if !flushed && (p == 0 || q != math.Float32frombits(1<<20)) {
			t.Errorf("IEEE: 1e-20·1e-20 = %g, 2^-149·2^20 = %g; want 1e-40 and 2^-129", p, q)
		}
	}
	want(false)
	old, on := flushDenormals(false)
	want(canFlush)
	restoreDenormals(old, on)
	want(false)
	old, on = flushDenormals(true) // kept: nothing changes
	want(false)
	restoreDenormals(old, on)
}

// TestEvaluateFlushesDenormals reads the thread's floating-point mode at every step of Evaluate:
// flushing by default (where the build can), as before with Options.KeepDenormals or
// $LANDSCAPE_CPU_DENORMALS=keep, and as before once Evaluate returns.
func TestEvaluateFlushesDenormals(t *testing.T) {
	p := testProblem(t, "resnet8", 3, 16, 4)
	for _, c := range []struct {
		name  string
		keep  bool
		env   string
		flush bool
	}{{"default", false, "", canFlush}, {"option", true, "", false}, {"env", false, "keep", false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(DenormalsEnv, c.env)
			e, err := NewWith(p, Options{KeepDenormals: c.keep})
			if err != nil {
				t.Fatal(err)
			}
			before := getFPMode() & flushBits // the control bits that flush (not MXCSR's sticky flags)
			steps, bad := 0, 0
			e.onStep = func(int) {
				steps++
				want := before
				if c.flush {
					want = flushBits
				}
				if m := getFPMode() & flushBits; m != want {
					bad++
					t.Logf("mode %#x during a step (want %#x)", m, want)
				}
			}
			if _, err := e.Evaluate(context.Background(), []engine.Point{{A: 0.5}}, 0, 4); err != nil {
				t.Fatal(err)
			}
			if steps == 0 || bad > 0 {
				t.Errorf("%d of %d steps with the wrong mode; want flushing %v", bad, steps, c.flush)
			}
			if m := getFPMode() & flushBits; m != before {
				t.Errorf("mode %#x after Evaluate, %#x before", m, before)
			}
		})
	}
}

// TestDenormalsFlushedMatchKept: flushing changes no loss beyond float32 rounding, at θ and far
// from it (where activations span many orders of magnitude), in both precisions.
func TestDenormalsFlushedMatchKept(t *testing.T) {
	p := testProblem(t, "resnet20", 3, 16, 8)
	pts := []engine.Point{{}, {A: 3, B: -4}, {A: -20, B: 15}}
	for _, bf16 := range []bool{false, true} {
		var sums [2][]engine.Sums
		for k, keep := range []bool{false, true} {
			e, err := NewWith(p, Options{BF16: bf16, KeepDenormals: keep})
			if err != nil {
				t.Fatal(err)
			}
			if sums[k], err = e.Evaluate(context.Background(), pts, 0, 8); err != nil {
				t.Fatal(err)
			}
		}
		for i := range pts {
			f, k := sums[0][i].Loss, sums[1][i].Loss
			if math.Abs(f-k) > 1e-6*math.Abs(k) || sums[0][i].Correct != sums[1][i].Correct {
				t.Errorf("bf16 %v, point %v: loss %g flushed, %g kept (accuracy %d, %d)", bf16, pts[i], f, k, sums[0][i].Correct, sums[1][i].Correct)
			}
		}
	}
}
