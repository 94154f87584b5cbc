package remote

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/sched"
)

// faultOnce makes every worker fault once (per device) with kind, and returns the pattern of the
// files that prove each fault happened.
func faultOnce(t *testing.T, kind string) string {
	files := filepath.Join(t.TempDir(), "fault-%d")
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", kind+",once="+files)
	return files
}

// faulted reads the proof that device's worker faulted ("KIND pid N").
func faulted(t *testing.T, files string, device int) string {
	t.Helper()
	b, err := os.ReadFile(strings.ReplaceAll(files, "%d", strconv.Itoa(device)))
	if err != nil {
		t.Fatalf("device %d's worker did not fault: %v", device, err)
	}
	return strings.TrimSpace(string(b))
}

// sameAsCPU evaluates pts on e and on the CPU engine and fails unless the sums are identical.
func sameAsCPU(t *testing.T, p *engine.Problem, e engine.Engine) {
	t.Helper()
	local, _ := cpu.New(p)
	want, err := local.Evaluate(context.Background(), enginetest.Points, 0, p.Data.N)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Evaluate(context.Background(), enginetest.Points, 0, p.Data.N)
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	for k := range want {
		if math.Float64bits(got[k].Loss) != math.Float64bits(want[k].Loss) || got[k].Correct != want[k].Correct {
			t.Errorf("point %d: %+v, want %+v", k, got[k], want[k])
		}
	}
}

// exitedWithin waits for w's process to have been reaped.
func exitedWithin(t *testing.T, w *worker, d time.Duration) error {
	t.Helper()
	select {
	case <-w.exited:
		return w.exit
	case <-time.After(d):
		t.Fatalf("worker pid %d still running after %v", w.cmd.Process.Pid, d)
		return nil
	}
}

// TestDeadlineKillsHungWorker: a worker that never answers is killed at the deadline, the
// evaluation fails naming it, and the next evaluation runs on a restarted worker.
func TestDeadlineKillsHungWorker(t *testing.T) {
	files := faultOnce(t, "hang-in-eval")
	p := setup(t, 0)
	e := cpuWorkersWith(t, p, Options{Deadline: time.Second})[0].(*Engine)
	hung := e.w
	t0 := time.Now()
	_, err := e.Evaluate(context.Background(), enginetest.Points, 0, p.Data.N)
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Evaluate on a hung worker: %v, want the deadline named", err)
	}
	if el := time.Since(t0); el < time.Second || el > 30*time.Second {
		t.Errorf("failed after %v, want just past the 1 s deadline", el)
	}
	proof := faulted(t, files, 0)
	if want := "hang-in-eval pid " + strconv.Itoa(hung.cmd.Process.Pid); proof != want {
		t.Fatalf("fault file says %q, want %q", proof, want)
	}
	if xerr := exitedWithin(t, hung, 10*time.Second); xerr == nil || !strings.Contains(xerr.Error(), "killed") {
		t.Fatalf("hung worker's exit: %v, want killed", xerr)
	}
	sameAsCPU(t, p, e)
	if e.w == hung || e.restarts != 1 {
		t.Fatalf("no restart: restarts = %d", e.restarts)
	}
}

// TestFatalErrorEndsWorker: a fatal (sticky) device error is answered, the worker exits with
// status 4, and the next evaluation runs on a restarted worker.
func TestFatalErrorEndsWorker(t *testing.T) {
	files := faultOnce(t, "fatal-in-eval")
	p := setup(t, 0)
	e := cpuWorkersWith(t, p, Options{})[0].(*Engine)
	first := e.w
	_, err := e.Evaluate(context.Background(), enginetest.Points, 0, p.Data.N)
	if err == nil || !strings.Contains(err.Error(), "injected fatal device error") || !strings.Contains(err.Error(), "exit status 4") {
		t.Fatalf("Evaluate: %v, want the fatal error and exit status 4", err)
	}
	if proof := faulted(t, files, 0); proof != "fatal-in-eval pid "+strconv.Itoa(first.cmd.Process.Pid) {
		t.Fatalf("fault file says %q", proof)
	}
	sameAsCPU(t, p, e)
}

// TestRestartsOnce: a worker that faults every time is restarted once, then its engine fails
// without starting another process.
func TestRestartsOnce(t *testing.T) {
	t.Setenv("LANDSCAPE_GPU_WORKER_FAULT", "fatal-in-eval")
	p := setup(t, 0)
	e := cpuWorkersWith(t, p, Options{})[0].(*Engine)
	pids := map[int]bool{}
	for i := range 3 {
		pids[e.w.cmd.Process.Pid] = true
		_, err := e.Evaluate(context.Background(), enginetest.Points, 0, 1)
		if err == nil {
			t.Fatalf("call %d succeeded on a faulting worker", i)
		}
		if i == 2 && !strings.Contains(err.Error(), "after 1 restart") {
			t.Fatalf("third call: %v, want the engine given up after 1 restart", err)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("%d worker processes, want 2 (the first and one restart)", len(pids))
	}
}

// TestScanSurvivesOneHangPerWorker: both workers hang on their first task; each is killed at the
// deadline and restarted, the tasks are queued again, and the surface matches the CPU engine's.
func TestScanSurvivesOneHangPerWorker(t *testing.T) {
	files := faultOnce(t, "hang-in-eval")
	p := setup(t, 0)
	es := cpuWorkersWith(t, p, Options{Devices: 2, Deadline: time.Second})
	if len(es) != 2 {
		t.Fatalf("%d engines", len(es))
	}
	scanMatchesCPU(t, p, es)
	for d := range 2 {
		faulted(t, files, d)
		if r := es[d].(*Engine).restarts; r != 1 {
			t.Errorf("worker %d restarted %d times, want 1", d, r)
		}
	}
}

func TestDeadlineFollowsMedian(t *testing.T) {
	e := &Engine{o: Options{Deadline: 2 * time.Second}}
	if d := e.deadline(1000); d != 2*time.Second {
		t.Fatalf("no history: %v, want the floor", d)
	}
	e.perUnit = []float64{1e-3, 5e-3, 2e-3} // median 2 ms per point·image
	if d := e.deadline(1000); d != 40*time.Second {
		t.Fatalf("deadline %v, want 20 × 2 ms × 1000 = 40 s", d)
	}
	if d := e.deadline(10); d != 2*time.Second {
		t.Fatalf("small task: %v, want the floor", d)
	}
}

// TestBoundToProblem: the scheduler can tell which problem a worker engine evaluates.
func TestBoundToProblem(t *testing.T) {
	p := setup(t, 0)
	e := cpuWorkers(t, p, 1)[0]
	if b, ok := e.(sched.Bound); !ok || b.Problem() != p {
		t.Fatal("remote engine does not report its problem")
	}
	if err := sched.Run(context.Background(), setup(t, 1), enginetest.Points, []int{0}, []engine.Engine{e}, sched.Options{}, func(int, float64, float64) {}); err == nil {
		t.Fatal("scan ran a worker bound to another problem")
	}
}
