package remote

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/sched"
)

var (
	buildOnce sync.Once
	workerBin string
	buildErr  error
)

// worker builds cmd/landscape-gpu without the cuda tag (it then serves the CPU engine, or
// answers that it has no CUDA) once per test run.
func workerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "landscape-gpu-test-*")
		if err != nil {
			buildErr = err
			return
		}
		workerBin = filepath.Join(dir, WorkerName)
		out, err := exec.Command("go", "build", "-o", workerBin, "landscape/cmd/landscape-gpu").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building the worker: %v", buildErr)
	}
	return workerBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if workerBin != "" {
		os.RemoveAll(filepath.Dir(workerBin))
	}
	os.Exit(code)
}

func cpuWorkers(t *testing.T, p *engine.Problem, devices int) []engine.Engine {
	t.Helper()
	return cpuWorkersWith(t, p, Options{Devices: devices, Restarts: -1})
}

// cpuWorkersWith starts workers serving the CPU engine with options o.
func cpuWorkersWith(t *testing.T, p *engine.Problem, o Options) []engine.Engine {
	t.Helper()
	o.Worker, o.Engine = workerBinary(t), "cpu"
	es, err := Engines(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, e := range es {
			e.Close()
		}
	})
	return es
}

func setup(t *testing.T, c int) *engine.Problem {
	t.Helper()
	p, err := enginetest.Setup(enginetest.Cases[c], 9)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMatchesCPUExactly runs every conformance case through two workers and compares their sums
// (loss, Σ ℓ², correct) bit for bit with the CPU engine in this process: the protocol loses nothing.
func TestMatchesCPUExactly(t *testing.T) {
	for c := range enginetest.Cases {
		p := setup(t, c)
		es := cpuWorkers(t, p, 2)
		if len(es) != 2 {
			t.Fatalf("%d engines, want 2", len(es))
		}
		local, _ := cpu.New(p)
		pts := append(enginetest.Points, engine.Point{A: math.Inf(1), B: 0})
		want, err := local.Evaluate(context.Background(), pts, 1, p.Data.N)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			got, err := e.Evaluate(context.Background(), pts, 1, p.Data.N)
			if err != nil {
				t.Fatal(err)
			}
			for k := range want {
				same := func(g, w float64) bool {
					return math.Float64bits(g) == math.Float64bits(w) || math.IsNaN(g) && math.IsNaN(w) // NaN payloads vary with the build
				}
				if !same(got[k].Loss, want[k].Loss) || !same(got[k].LossSq, want[k].LossSq) || got[k].Correct != want[k].Correct {
					t.Errorf("%s point %v: %+v, want %+v", e.Name(), pts[k], got[k], want[k])
				}
			}
		}
	}
}

func TestConformanceThroughWorker(t *testing.T) {
	enginetest.Run(t, func(p *engine.Problem) (engine.Engine, error) {
		es, err := Engines(context.Background(), p, Options{Worker: workerBinary(t), Engine: "cpu"})
		if err != nil {
			return nil, err
		}
		return es[0], nil
	})
}

// evalWithin runs Evaluate and fails the test if it has not returned within d.
func evalWithin(t *testing.T, ctx context.Context, e engine.Engine, d time.Duration, during func()) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := e.Evaluate(ctx, enginetest.Points, 0, 2)
		done <- err
	}()
	if during != nil {
		time.Sleep(200 * time.Millisecond)
		during()
	}
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("Evaluate still running after %v", d)
		return nil
	}
}

func TestWorkerKilledMidEvaluate(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "hang-in-eval")
	e := cpuWorkers(t, setup(t, 0), 1)[0]
	err := evalWithin(t, context.Background(), e, 10*time.Second, func() { e.(*Engine).w.cmd.Process.Kill() })
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Evaluate after kill: %v, want an error saying the worker was killed", err)
	}
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err == nil {
		t.Fatal("a dead worker's engine answered")
	}
}

func TestWorkerExitsMidEvaluate(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "exit-in-eval")
	e := cpuWorkers(t, setup(t, 0), 1)[0]
	err := evalWithin(t, context.Background(), e, 10*time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Evaluate: %v, want the worker's exit status", err)
	}
}

func TestContextEndsEvaluate(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "hang-in-eval")
	e := cpuWorkers(t, setup(t, 0), 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := evalWithin(t, ctx, e, 10*time.Second, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Evaluate: %v, want the context's deadline", err)
	}
}

func TestErrorAnswer(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "error-in-eval")
	e := cpuWorkers(t, setup(t, 0), 1)[0]
	if _, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1); err == nil || !strings.Contains(err.Error(), "injected fault") {
		t.Fatalf("Evaluate: %v, want the worker's error", err)
	}
}

// TestSchedulerRequeuesFailedWorker scans with two workers, one of which dies on its first task:
// the scheduler re-queues the task on the other and the scan matches the CPU engine.
func TestSchedulerRequeuesFailedWorker(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "exit-in-eval@1")
	p := setup(t, 0)
	es := cpuWorkers(t, p, 2)
	scanMatchesCPU(t, p, es)
}

// scanMatchesCPU scans the first four of enginetest.Points (two images a task, one point) with
// the engines es and with the CPU engine, and checks that every loss is the same.
func scanMatchesCPU(t *testing.T, p *engine.Problem, es []engine.Engine) {
	t.Helper()
	pts := enginetest.Points
	todo := []int{0, 1, 2, 3}
	scanWith := func(es []engine.Engine) []float64 {
		loss := make([]float64, len(pts))
		if err := sched.Run(context.Background(), p, pts, todo, es, sched.Options{Images: 2, Points: 1}, func(k int, l, _ float64) { loss[k] = l }); err != nil {
			t.Fatal(err)
		}
		return loss
	}
	local, err := cpu.New(p)
	if err != nil {
		t.Fatal(err)
	}
	want, got := scanWith([]engine.Engine{local}), scanWith(es)
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("point %d: loss %v, want %v", k, got[k], want[k])
		}
	}
}

func TestMissingWorker(t *testing.T) {
	_, err := Engines(context.Background(), setup(t, 0), Options{Worker: "/nonexistent/landscape-gpu"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/landscape-gpu") {
		t.Fatalf("err = %v, want one naming the missing worker", err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = Engines(context.Background(), setup(t, 0), Options{})
	if err == nil || !strings.Contains(err.Error(), "no GPU worker") {
		t.Fatalf("err = %v, want 'no GPU worker'", err)
	}
}

func TestWorkerWithoutCUDA(t *testing.T) {
	_, err := Engines(context.Background(), setup(t, 0), Options{Worker: workerBinary(t)})
	if err == nil || !strings.Contains(err.Error(), "built without CUDA") {
		t.Fatalf("err = %v, want the worker's 'built without CUDA'", err)
	}
}

// TestCUDAInitFailure stands in for a cuda-built worker on a machine without a GPU:
// gorgonia.org/cu prints its message and exits before main.
func TestCUDAInitFailure(t *testing.T) {
	fake := filepath.Join(t.TempDir(), WorkerName)
	script := "#!/bin/sh\necho 'Error in initialization, please refer to \"https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__INITIALIZE.html\" for details on: NoDevice'\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Engines(context.Background(), setup(t, 0), Options{Worker: fake})
	if err == nil || !strings.Contains(err.Error(), "CUDA initialisation failed") || !strings.Contains(err.Error(), "NoDevice") {
		t.Fatalf("err = %v, want the CUDA initialisation failure", err)
	}
}

func TestCPUWorkerRejectsTF32(t *testing.T) {
	_, err := Engines(context.Background(), setup(t, 0), Options{Worker: workerBinary(t), Engine: "cpu", Precision: "tf32"})
	if err == nil || !strings.Contains(err.Error(), "fp32") {
		t.Fatalf("err = %v, want the precision refused", err)
	}
}

// TestNoCUDAInLandscape guards the rule that makes the landscape binary run on machines without
// a GPU: neither it nor this client may link gorgonia.org/cu (its init exits when cuInit fails).
func TestNoCUDAInLandscape(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "landscape/cmd/landscape", "landscape/gpu/remote").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "gorgonia.org/cu" || dep == "landscape/gpu" {
			t.Errorf("the landscape binary depends on %s", dep)
		}
	}
}

// tolerancePoints is a problem with enough images for a --tolerance scan to stop early, and
// three points.
func tolerancePoints(t *testing.T) (*engine.Problem, []engine.Point) {
	t.Helper()
	p, err := enginetest.Setup(enginetest.Case{Model: "resnet8", InC: 1, HW: 8, Images: 800, DirType: "weights"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	return p, []engine.Point{{A: 0, B: 0}, {A: 0.4, B: -0.2}, {A: 1.5, B: 1.2}}
}

// toleranceScan runs a --tolerance 0.01 scan of pts on es.
func toleranceScan(p *engine.Problem, pts []engine.Point, es []engine.Engine) ([]sched.Result, error) {
	res := make([]sched.Result, len(pts))
	todo := make([]int, len(pts))
	for k := range todo {
		todo[k] = k
	}
	err := sched.RunResults(context.Background(), p, pts, todo, es, sched.Options{Images: 64, Tolerance: 0.01},
		func(k int, r sched.Result) { res[k] = r })
	return res, err
}

// TestToleranceThroughWorkers: a --tolerance scan on workers gives the same estimates, standard
// errors and images as on the CPU engine in this process (the squared sums cross the protocol).
func TestToleranceThroughWorkers(t *testing.T) {
	p, pts := tolerancePoints(t)
	es := cpuWorkers(t, p, 2)
	for _, e := range es {
		if !engine.SumsSquares(e) {
			t.Fatalf("%s does not say it returns squared sums", e.Name())
		}
	}
	got, err := toleranceScan(p, pts, es)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := cpu.New(p)
	want, err := toleranceScan(p, pts, []engine.Engine{local})
	if err != nil {
		t.Fatal(err)
	}
	sampled := false
	for k := range want {
		sampled = sampled || want[k].Images < p.Data.N
		t.Logf("point %v: %d images, loss %.6g ± %.3g", pts[k], got[k].Images, got[k].Loss, got[k].StdErr)
		if got[k] != want[k] {
			t.Errorf("point %v: %+v through workers, %+v here", pts[k], got[k], want[k])
		}
	}
	if !sampled {
		t.Errorf("every point used all %d images: the test did not sample", p.Data.N)
	}
}

// TestOldWorkerRefusedForTolerance: a worker that answers without "squares" and "loss_sq" (one
// built before them) still computes exact sums, and a --tolerance scan on it is refused,
// saying to rebuild it, rather than given zero variances.
func TestOldWorkerRefusedForTolerance(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "old-protocol")
	p, pts := tolerancePoints(t)
	es := cpuWorkers(t, p, 1)
	if engine.SumsSquares(es[0]) {
		t.Fatal("an old-protocol worker's engine says it returns squared sums")
	}
	got, err := es[0].Evaluate(context.Background(), pts, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	local, _ := cpu.New(p)
	want, _ := local.Evaluate(context.Background(), pts, 0, 5)
	for k := range want {
		if got[k].Loss != want[k].Loss || got[k].Correct != want[k].Correct || got[k].LossSq != 0 {
			t.Errorf("point %v: %+v from the old worker, want %+v without LossSq", pts[k], got[k], want[k])
		}
	}
	_, err = toleranceScan(p, pts, es)
	if err == nil || !strings.Contains(err.Error(), "rebuild") {
		t.Fatalf("tolerance scan on an old worker: %v, want a refusal saying to rebuild it", err)
	}
}
