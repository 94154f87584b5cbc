package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"landscape/engine"
	"landscape/model"
)

// helloTimeout bounds a worker's start-up (CUDA initialisation) before its first line.
var helloTimeout = 2 * time.Minute

// WorkerName is the worker executable's name.
const WorkerName = "landscape-gpu"

// Options choose the workers.
type Options struct {
	Worker    string                           // path of landscape-gpu; "": next to os.Executable(), then $PATH
	Precision string                           // "fp32" (default), "tf32" or "bf16"
	Devices   int                              // GPUs to use; 0: all
	Engine    string                           // "gpu" (default); "cpu": workers serve the CPU engine (tests without a GPU)
	Log       func(format string, args ...any) // told about workers that failed; nil: silent

	// Deadline is the least time one evaluation may take before its worker is killed and the
	// evaluation fails (the scheduler then queues it again); 0: DefaultDeadline. The deadline
	// of an evaluation is max(Deadline, DeadlineFactor × the worker's median time for as much
	// work: points × images).
	Deadline time.Duration
	// Restarts is how many times a dead worker (killed past its deadline, exited after a fatal
	// device error, crashed) is started again before its engine fails for good; < 0: never,
	// 0: DefaultRestarts.
	Restarts int
}

// DefaultDeadline and DeadlineFactor set an evaluation's deadline (Options.Deadline).
const (
	DefaultDeadline = 120 * time.Second
	DeadlineFactor  = 20
	DefaultRestarts = 1
)

// FindWorker returns the worker path: path itself if given, else landscape-gpu next to the
// running executable, else the one on $PATH.
func FindWorker(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("GPU worker %s: %w", path, err)
		}
		return path, nil
	}
	var tried []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), WorkerName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		tried = append(tried, "next to "+exe)
	}
	if p, err := exec.LookPath(WorkerName); err == nil {
		return p, nil
	}
	tried = append(tried, "in $PATH")
	return "", fmt.Errorf("no GPU worker: %s not found %s (build it with `make gpu`)", WorkerName, strings.Join(tried, " or "))
}

// Engines starts one worker per GPU (all of them, or o.Devices), sends each the problem, and
// returns an engine per worker that took it. It fails, saying why, when no worker works: no
// worker binary, no driver, no device, a CUDA error, a problem the worker rejects.
func Engines(ctx context.Context, p *engine.Problem, o Options) ([]engine.Engine, error) {
	if err := Supported(p.Net); err != nil {
		return nil, err
	}
	if o.Engine == "" {
		o.Engine = "gpu"
	}
	if o.Precision == "" {
		o.Precision = "fp32"
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.Restarts == 0 {
		o.Restarts = DefaultRestarts
	}
	path, err := FindWorker(o.Worker)
	if err != nil {
		return nil, err
	}
	first, hello, err := start(ctx, path, 0, o)
	if err != nil {
		return nil, err
	}
	want := hello.Devices
	if o.Devices > 0 {
		want = min(want, o.Devices)
	}
	engines := []*Engine{{path: path, device: 0, p: p, o: o, w: first}}
	var errs []error
	for dev := 1; dev < want; dev++ {
		w, _, err := start(ctx, path, dev, o)
		if err != nil {
			errs = append(errs, err)
			o.Log("GPU worker %d: %v", dev, err)
			continue
		}
		engines = append(engines, &Engine{path: path, device: dev, p: p, o: o, w: w})
	}
	dir, err := os.MkdirTemp("", "landscape-gpu-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // workers read the files while taking the problem
	req, err := problemRequest(p, dir, o.Precision)
	if err != nil {
		return nil, err
	}
	results := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.w.sendProblem(ctx, req, p)
		}()
	}
	wg.Wait()
	var out []engine.Engine
	for i, e := range engines {
		if results[i] != nil {
			errs = append(errs, results[i])
			o.Log("%v", results[i])
			e.w.kill()
			continue
		}
		e.name, e.points, e.images, e.squares = e.w.name, e.w.points, e.w.images, e.w.squares
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// problemRequest writes the weights into dir and returns the request naming them.
func problemRequest(p *engine.Problem, dir, precision string) (*Request, error) {
	graph, err := graphFile(p.Net)
	if err != nil {
		return nil, err
	}
	req := &Request{Op: "problem", Model: p.Net.Name, Graph: graph, Precision: precision,
		Config: model.Config{InC: p.Net.InC, HW: p.Net.HW, Classes: p.Net.Classes},
		Data:   &DataHeader{Name: p.Data.Name, N: p.Data.N, C: p.Data.C, H: p.Data.H, W: p.Data.W, Classes: p.Data.Classes}}
	for _, f := range []struct {
		w    *model.Weights
		name string
		dst  *string
	}{{p.Base, "base", &req.Base}, {p.DX, "dx", &req.DX}, {p.DY, "dy", &req.DY}} {
		if f.w == nil {
			continue
		}
		*f.dst = filepath.Join(dir, f.name+".safetensors")
		if err := model.WriteSafetensors(*f.dst, f.w, nil); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// Engine is the engine of one GPU, served by a worker process. Each evaluation has a deadline;
// a worker past it is killed and the evaluation fails. A dead worker is started again (with the
// problem sent anew) on the next call, up to Options.Restarts times; then every call fails, so
// the scheduler retires the engine.
type Engine struct {
	path     string
	device   int
	p        *engine.Problem
	o        Options
	w        *worker // nil after Close
	restarts int
	perUnit  []float64 // seconds per point·image of the latest evaluations, for the deadline
	name     string
	points   int
	images   int
	squares  bool // the worker's engine returns Σ ℓ² (Reply.Squares)
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return e.name }

// Capacity returns the worker engine's preferred weight sets and images per call (0: none).
func (e *Engine) Capacity() (points, images int) { return e.points, e.images }

// Problem returns the problem the worker was sent (sched.Bound).
func (e *Engine) Problem() *engine.Problem { return e.p }

// SumsSquares implements engine.Squares: true when the worker said its engine returns Σ ℓ²
// (a worker built before the protocol carried it does not).
func (e *Engine) SumsSquares() bool { return e.squares }

// Evaluate implements engine.Engine. A worker that dies, or does not answer before ctx ends or
// the deadline passes, is killed and this call fails; the next call restarts it (Options.Restarts).
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	if e.w == nil {
		return nil, fmt.Errorf("%s: engine closed", e.label())
	}
	if e.w.broken != nil {
		if err := e.restart(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", e.label(), err)
		}
	}
	units := max(1, len(pts)*(hi-lo))
	limit := e.deadline(units)
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t0 := time.Now()
	sums, err := e.w.evaluate(dctx, pts, lo, hi)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within the deadline of %v, worker killed: %w", limit, err)
		}
		return nil, fmt.Errorf("%s: %w", e.label(), err)
	}
	e.perUnit = append(e.perUnit, time.Since(t0).Seconds()/float64(units))
	if len(e.perUnit) > 64 {
		e.perUnit = e.perUnit[len(e.perUnit)-64:]
	}
	return sums, nil
}

// deadline is max(Options.Deadline, DeadlineFactor × median seconds per point·image × units).
func (e *Engine) deadline(units int) time.Duration {
	d := e.o.Deadline
	if len(e.perUnit) == 0 {
		return d
	}
	s := slices.Clone(e.perUnit)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return max(d, time.Duration(DeadlineFactor*med*float64(units)*float64(time.Second)))
}

// restart replaces a broken worker by a new process with the problem sent again, if restarts
// are left; otherwise it returns the worker's error.
func (e *Engine) restart(ctx context.Context) error {
	cause := e.w.broken
	if e.restarts >= max(e.o.Restarts, 0) {
		return fmt.Errorf("worker failed after %d restart(s): %w", e.restarts, cause)
	}
	e.restarts++
	e.o.Log("GPU worker %d (%s) died (%v); starting it again (restart %d of %d)", e.device, e.name, cause, e.restarts, e.o.Restarts)
	e.w.close()
	w, _, err := start(ctx, e.path, e.device, e.o)
	if err == nil {
		var dir string
		if dir, err = os.MkdirTemp("", "landscape-gpu-*"); err == nil {
			var req *Request
			if req, err = problemRequest(e.p, dir, e.o.Precision); err == nil {
				err = w.sendProblem(ctx, req, e.p)
			}
			if err == nil && e.squares && !w.squares {
				err = fmt.Errorf("the new worker does not return the squared losses the first one did (was %s replaced by an older build?)", e.path)
			}
			os.RemoveAll(dir)
		}
		if err != nil {
			w.kill()
			w.close()
		}
	}
	if err != nil {
		e.w.broken = fmt.Errorf("restarting the worker after %v: %w", cause, err)
		return e.w.broken
	}
	e.w = w
	return nil
}

func (e *Engine) label() string {
	if e.name != "" {
		return e.name
	}
	return fmt.Sprintf("GPU worker %d", e.device)
}

// Close implements engine.Engine: it asks the worker to exit, and kills it if it does not.
func (e *Engine) Close() error {
	if e.w != nil {
		e.w.close()
		e.w = nil
	}
	return nil
}

// tail keeps the last 2 KiB written to it (a worker's stderr).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
