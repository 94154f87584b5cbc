package gpu

import (
	"context"
	"math"
	"testing"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/sched"
)

// TestToleranceScanMatchesCPU runs a --tolerance scan (sched.RunResults with Tolerance) on the
// engine driving the kernel models and on the CPU engine: every point stops after the same
// images, with the same estimate and standard error to the fp32 tolerances, and the scan did
// sample (some point stopped before the last image).
func TestToleranceScanMatchesCPU(t *testing.T) {
	const images, tol = 800, 0.01
	p, err := enginetest.Setup(enginetest.Case{Model: "resnet8", InC: 1, HW: 8, Images: images, DirType: "weights"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	pts := []engine.Point{{A: 0, B: 0}, {A: 0.4, B: -0.2}, {A: 1.5, B: 1.2}}
	todo := []int{0, 1, 2}
	run := func(e engine.Engine) []sched.Result {
		defer e.Close()
		res := make([]sched.Result, len(pts))
		opt := sched.Options{Images: 64, Points: 2, Tolerance: tol}
		if err := sched.RunResults(context.Background(), p, pts, todo, []engine.Engine{e}, opt, func(k int, r sched.Result) { res[k] = r }); err != nil {
			t.Fatal(err)
		}
		return res
	}
	g, err := newEngine(newFake(1<<30), 0, p, Options{Points: 2, Images: 64})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cpu.New(p)
	if err != nil {
		t.Fatal(err)
	}
	got, want := run(g), run(c)
	sampled := false
	for k, w := range want {
		r := got[k]
		sampled = sampled || w.Images < images
		if r.Images != w.Images {
			t.Errorf("point %v: stopped after %d images, the CPU after %d", pts[k], r.Images, w.Images)
		}
		if rel := math.Abs(r.Loss-w.Loss) / w.Loss; !(rel <= enginetest.LossTol) {
			t.Errorf("point %v: loss %.8g, CPU %.8g (rel err %.2g)", pts[k], r.Loss, w.Loss, rel)
		}
		// StdErr is a square root of a difference of sums: its relative error is at most that
		// of Σℓ² over the relative variance, which is far from tiny here.
		if rel := math.Abs(r.StdErr-w.StdErr) / w.StdErr; !(rel <= 10*enginetest.SquaresTols["fp32"]) {
			t.Errorf("point %v: standard error %.6g, CPU %.6g (rel err %.2g)", pts[k], r.StdErr, w.StdErr, rel)
		}
		t.Logf("point %v: %d images, loss %.6g ± %.3g (CPU %.6g ± %.3g)", pts[k], r.Images, r.Loss, r.StdErr, w.Loss, w.StdErr)
	}
	if !sampled {
		t.Errorf("every point used all %d images: the test did not sample", images)
	}
}
