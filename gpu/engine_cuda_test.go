//go:build cuda

package gpu

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
	"landscape/sched"
)

func factory(o Options) engine.Factory {
	return func(p *engine.Problem) (engine.Engine, error) { return New(p, o) }
}

// TestConformance runs the engine suite in every precision on both kernel paths, with the sizes
// from free memory and with tiny K and B so that every Evaluate spans several point groups and
// image batches, each precision against its own tolerance (enginetest.LossTols).
func TestConformance(t *testing.T) {
	for _, path := range []string{"fast", "reference"} {
		for _, prec := range Precisions {
			t.Run(path+"_"+prec+"_capacity", func(t *testing.T) {
				enginetest.RunPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
			})
			t.Run(path+"_"+prec+"_K3B2", func(t *testing.T) {
				enginetest.RunPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
			})
		}
	}
}

func testFold(t *testing.T) {
	p, err := enginetest.Setup(enginetest.Cases[3], 5) // vgg9: conv bias + BN, linear + BN1d
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"reference", "fast"} { // PyTorch's order; tap-major for the fast kernels
		testFoldPath(t, p, path)
	}
	testFoldEps(t)
}

// testFoldEps: with every batch norm's own ε = 1e-3 (model.Op.Eps), the device's fold equals the
// host model of the kernel (Layout.FoldOnHost, which the fake device runs and
// TestBNEpsilonOnKernelModels checks against the naive network) bit for bit.
func testFoldEps(t *testing.T) {
	p, err := enginetest.Setup(enginetest.Cases[3], 5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Net.Ops {
		if p.Net.Ops[i].Kind == model.OpBatchNorm {
			p.Net.Ops[i].Eps = 1e-3
		}
	}
	e, err := Open(p, Options{Points: 4, Images: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err != nil {
		t.Fatal(err)
	}
	release, _ := e.dev.enter()
	defer release()
	l := e.layout
	got := make([]float32, len(enginetest.Points)*l.Folded)
	download(e.dev, got, e.folded)
	theta, dx, dy := l.ThetaVector(p.Base), l.RawVector(p.DX), l.RawVector(p.DY)
	mismatches := 0
	for k, pt := range enginetest.Points {
		want := l.FoldOnHost(theta, dx, dy, float32(pt.A), float32(pt.B))
		for i, ll := range l.Layers {
			if ll.WOut < 0 {
				continue
			}
			for j := ll.WOut; j < ll.BOut+p.Plan.Layers[i].Cout(); j++ {
				if math.Float32bits(got[k*l.Folded+j]) != math.Float32bits(want[j]) {
					mismatches++
				}
			}
		}
	}
	kernelReport(t, "fold_weights eps=1e-3 (bit-exact elements differing)", float64(mismatches), 0)
}

func testFoldPath(t *testing.T, p *engine.Problem, path string) {
	e, err := Open(p, Options{Points: 4, Images: 1, Kernels: path})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err != nil {
		t.Fatal(err)
	}
	release, _ := e.dev.enter()
	defer release()
	got := make([]float32, len(enginetest.Points)*e.layout.Folded)
	download(e.dev, got, e.folded)
	var mismatches int
	for k, pt := range enginetest.Points {
		w, b := enginetest.Folded(p, pt)
		for i, ll := range e.layout.Layers {
			if ll.WOut < 0 {
				continue
			}
			base := got[k*e.layout.Folded:]
			for j, v := range w[i] {
				if math.Float32bits(base[ll.WOut+ll.WIndex(j)]) != math.Float32bits(v) {
					mismatches++
				}
			}
			for j, v := range b[i] {
				if math.Float32bits(base[ll.BOut+j]) != math.Float32bits(v) {
					mismatches++
				}
			}
		}
	}
	kernelReport(t, "fold_weights "+path+" (bit-exact elements differing)", float64(mismatches), 0)
}

// TestKernels runs the per-op conformance table (ops_test.go) on the device: every kernel with
// fresh random inputs against the CPU engine's layer functions, every row tile; then the fold.
func TestKernels(t *testing.T) {
	d, err := openDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	release, err := d.enter()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	defer d.close()
	runOpTable(t, d, func(opRow) bool { return true })
	testFold(t) // last: its engine binds (and destroys) a context of its own on this thread
}

// TestScanResnet20 scans a resnet20 grid with the scheduler on the GPU and on the CPU engine.
func TestScanResnet20(t *testing.T) {
	p, err := engine.RandomProblem("resnet20", model.Config{InC: 3, HW: 32, Classes: 10}, 100, 1,
		direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"})
	if err != nil {
		t.Fatal(err)
	}
	var pts []engine.Point
	for i := range 5 {
		for j := range 5 {
			pts = append(pts, engine.Point{A: -1 + 0.5*float64(i), B: -1 + 0.5*float64(j)})
		}
	}
	todo := make([]int, len(pts))
	for i := range todo {
		todo[i] = i
	}
	run := func(es []engine.Engine, o sched.Options) ([]float64, []float64) {
		loss, acc := make([]float64, len(pts)), make([]float64, len(pts))
		if err := sched.Run(context.Background(), p, pts, todo, es, o, func(k int, l, a float64) { loss[k], acc[k] = l, a }); err != nil {
			t.Fatal(err)
		}
		return loss, acc
	}
	var cpus []engine.Engine
	for range 8 {
		e, _ := cpu.New(p)
		cpus = append(cpus, e)
	}
	wantLoss, wantAcc := run(cpus, sched.Options{Images: 25, Points: 1})
	for _, pp := range []struct{ path, prec string }{{"fast", "fp32"}, {"fast", "tf32"}, {"fast", "bf16"}, {"reference", "fp32"}} {
		prec := pp.prec
		g, err := New(p, Options{Precision: prec, Kernels: pp.path})
		if err != nil {
			t.Fatal(err)
		}
		gotLoss, gotAcc := run([]engine.Engine{g}, sched.Options{Images: 40, Points: 7})
		g.Close()
		worst, accDiff := 0.0, 0.0
		for k := range pts {
			worst = math.Max(worst, math.Abs(gotLoss[k]-wantLoss[k])/math.Abs(wantLoss[k]))
			if math.IsNaN(gotLoss[k]) {
				worst = math.Inf(1)
			}
			accDiff = math.Max(accDiff, math.Abs(gotAcc[k]-wantAcc[k]))
		}
		tol := map[string]float64{"fp32": 1e-4, "tf32": 3e-2, "bf16": 1e-1}[prec] // reduced precisions: a sanity bound
		fmt.Printf("scan resnet20 %s %s: 25 points x 100 images, max loss rel err vs cpu %.3g (tol %g), max acc diff %.1f%%\n", prec, pp.path, worst, tol, accDiff)
		if !(worst <= tol) {
			t.Errorf("%s: loss rel err %.3g > %g", prec, worst, tol)
		}
		if prec == "fp32" && accDiff > 2 {
			t.Errorf("fp32: accuracy differs by %.1f%%", accDiff)
		}
	}
}

// TestSpeed measures resnet56 on synthetic 32x32 data when LANDSCAPE_SPEED="images,points" is
// set, printing one "speed ..." line per precision and kernel path (the device check's table
// reads them); loss_rel_vs_fp32 compares with the first run (fast fp32).
func TestSpeed(t *testing.T) {
	spec := os.Getenv("LANDSCAPE_SPEED")
	if spec == "" {
		t.Skip("set LANDSCAPE_SPEED=images,points")
	}
	f := strings.Split(spec, ",")
	images, _ := strconv.Atoi(f[0])
	points, _ := strconv.Atoi(f[1])
	n, _ := model.Build("resnet56", model.Config{InC: 3, HW: 32, Classes: 10})
	w := model.Init(n, 1)
	opt := direction.Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"}
	dx, dy := direction.Random(n, "weights", 1, 0), direction.Random(n, "weights", 1, 1)
	direction.Normalize(dx, w, opt)
	direction.Normalize(dy, w, opt)
	p, err := engine.NewProblem(n, w, dx, dy, data.Synthetic(images, 3, 32, 32, 10, 1))
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]engine.Point, points)
	for i := range pts {
		pts[i] = engine.Point{A: -1 + 2*float64(i)/float64(max(1, points-1)), B: 0.5}
	}
	var ref []engine.Sums
	for _, pp := range []struct{ path, prec string }{{"fast", "fp32"}, {"fast", "tf32"}, {"fast", "bf16"},
		{"reference", "fp32"}, {"reference", "tf32"}, {"reference", "bf16"}} {
		prec := pp.prec
		e, err := Open(p, Options{Precision: prec, Kernels: pp.path})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Evaluate(context.Background(), pts[:1], 0, min(images, 256)); err != nil { // warm-up, JIT
			t.Fatal(err)
		}
		t0 := time.Now()
		got, err := e.Evaluate(context.Background(), pts, 0, images)
		el := time.Since(t0).Seconds()
		k, b := e.Capacity()
		e.Close()
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = got
		}
		var worst float64
		for i := range got {
			worst = math.Max(worst, math.Abs(got[i].Loss-ref[i].Loss)/math.Abs(ref[i].Loss))
		}
		fmt.Printf("speed precision=%s kernels=%s images=%d points=%d K=%d B=%d img_per_s=%.1f seconds=%.3f loss0=%.5f loss_rel_vs_fp32=%.2e\n",
			prec, pp.path, images, points, k, b, float64(images*points)/el, el, got[0].Loss/float64(images), worst)
	}
}

// TestStickyFault makes a kernel read an unmapped address on purpose: the wait must report
// CUDA's illegal address, the device must classify it sticky, and every later call must fail
// (the worker then exits and the client starts a fresh one; see gpu/remote's fault tests).
func TestStickyFault(t *testing.T) {
	d, err := openDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	exit, _ := d.enter()
	defer exit()
	defer d.close()
	out, err := d.alloc(4 * 64)
	if err != nil {
		t.Fatal(err)
	}
	bogus := ptr(1 << 47) // far outside any allocation
	if err := launchAvgpool(d, kAvgpool, dim{1, 1, 1}, dim{64, 1, 1}, avgpoolArgs{In: bogus, Out: out, Planes: 64, HW: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	_, err = d.wait()
	if err == nil || !d.sticky(err) {
		t.Fatalf("reading %#x: %v, want a sticky error (illegal address)", uint64(bogus), err)
	}
	fmt.Printf("fault injected: %v (sticky)\n", err)
	if _, err := d.alloc(4); err == nil {
		if err := d.zero(out, 4); err == nil {
			if _, err := d.wait(); err == nil {
				t.Fatal("the context still works after a sticky error")
			}
		}
	}
}

// TestModuleLoading: on sm_80/sm_90 GPUs every module loads from its embedded cubin; with
// LANDSCAPE_GPU_PTX=1 from the PTX (the JIT fallback of other GPUs); both give the same results.
func TestModuleLoading(t *testing.T) {
	c := convCase{2, 3, 16, 16, 16, 32, 3, 1, 1, false, true, true}
	run := func() (map[string]string, []float64) {
		d, err := openDevice(0)
		if err != nil {
			t.Fatal(err)
		}
		release, _ := d.enter()
		defer release()
		defer d.close()
		var rels []float64
		for _, prec := range []string{"f32", "tf32", "bf16"} {
			rel, err := runConvNamed(d, kernels.ConvFastName(prec, 32), prec, 32, c, 7, true)
			if err != nil {
				t.Fatal(err)
			}
			rels = append(rels, rel)
		}
		for m, how := range d.loaded {
			fmt.Printf("module %-9s %s on %s (compute %d.%d)\n", m, how, d.name, d.major, d.minor)
			if (d.major == 8 || d.major == 9) && !strings.HasPrefix(how, "cubin") {
				t.Errorf("module %s: %s on compute %d.%d, want its cubin", m, how, d.major, d.minor)
			}
		}
		return d.loaded, rels
	}
	_, cubin := run()
	t.Setenv("LANDSCAPE_GPU_PTX", "1")
	loaded, ptx := run()
	for m, how := range loaded {
		if how != "PTX (JIT)" {
			t.Errorf("LANDSCAPE_GPU_PTX=1: module %s loaded as %s", m, how)
		}
	}
	for i := range cubin {
		if cubin[i] != ptx[i] {
			t.Errorf("precision %d: error vs CPU %g from the cubin, %g from the PTX", i, cubin[i], ptx[i])
		}
	}
}
