package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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
}

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
	logf := o.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	path, err := FindWorker(o.Worker)
	if err != nil {
		return nil, err
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
	first, hello, err := start(ctx, path, 0, o)
	if err != nil {
		return nil, err
	}
	want := hello.Devices
	if o.Devices > 0 {
		want = min(want, o.Devices)
	}
	workers := []*Engine{first}
	var errs []error
	for dev := 1; dev < want; dev++ {
		w, _, err := start(ctx, path, dev, o)
		if err != nil {
			errs = append(errs, err)
			logf("GPU worker %d: %v", dev, err)
			continue
		}
		workers = append(workers, w)
	}
	results := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.sendProblem(ctx, req, p)
		}()
	}
	wg.Wait()
	var out []engine.Engine
	for i, w := range workers {
		if results[i] != nil {
			errs = append(errs, results[i])
			logf("%v", results[i])
			w.kill()
			continue
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// problemRequest writes the weights into dir and returns the request naming them.
func problemRequest(p *engine.Problem, dir, precision string) (*Request, error) {
	req := &Request{Op: "problem", Model: p.Net.Name, Precision: precision,
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

// Engine is one worker process serving one engine.
type Engine struct {
	path   string
	device int
	cmd    *exec.Cmd
	in     *os.File // the worker's stdin
	out    *bufio.Reader
	stderr *tail
	outR   *os.File      // the read end of the worker's stdout, closed by Close
	exited chan struct{} // closed when the process has been waited for
	exit   error         // its exit status, valid after exited
	name   string
	points int
	images int
	broken error // set once the worker is dead or out of step; every later call fails with it
}

func start(ctx context.Context, path string, device int, o Options) (*Engine, Hello, error) {
	args := []string{"--engine", o.Engine, "--device", fmt.Sprint(device)}
	if o.Engine == "cpu" {
		args = append(args, "--cpu-devices", fmt.Sprint(max(o.Devices, 1)))
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, Hello{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, Hello{}, err
	}
	e := &Engine{path: path, device: device, in: inW, out: bufio.NewReaderSize(outR, 1<<16), stderr: &tail{}, exited: make(chan struct{})}
	e.cmd = exec.Command(path, args...)
	e.cmd.Stdin, e.cmd.Stdout, e.cmd.Stderr = inR, outW, e.stderr
	err = e.cmd.Start()
	inR.Close() // the child holds its own copies
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, Hello{}, fmt.Errorf("starting GPU worker %s: %w", path, err)
	}
	e.outR = outR
	go func() {
		// outR is not closed here: what the worker wrote just before exiting may still be
		// unread, and the reader sees EOF by itself once the worker's end is gone.
		e.exit = e.cmd.Wait()
		close(e.exited)
	}()
	var hello Hello
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	line, err := e.read(hctx)
	if err == nil {
		if jerr := json.Unmarshal(line, &hello); jerr != nil || hello.Proto == "" {
			err = fmt.Errorf("%s", strings.TrimSpace(string(line)))
			if strings.Contains(string(line), "initialization") || strings.Contains(string(line), "cuda") {
				err = fmt.Errorf("CUDA initialisation failed: %w", err)
			}
		} else if hello.Proto != Proto {
			err = fmt.Errorf("speaks protocol %q, want %q (rebuild it: make gpu)", hello.Proto, Proto)
		} else if !hello.OK {
			err = errors.New(hello.Error)
		} else if hello.Devices < 1 {
			err = errors.New("reports no device")
		}
	}
	if err != nil {
		e.kill()
		<-e.exited
		e.outR.Close()
		return nil, hello, fmt.Errorf("GPU worker %s (device %d): %w", path, device, e.annotate(err))
	}
	return e, hello, nil
}

func (e *Engine) sendProblem(ctx context.Context, req *Request, p *engine.Problem) error {
	fail := func(err error) error {
		e.broken = err
		return fmt.Errorf("GPU worker %d: %w", e.device, e.annotate(err))
	}
	w := bufio.NewWriterSize(e.in, 1<<20)
	err := writeLine(w, req)
	if err == nil {
		err = writeFloat32s(w, p.Data.Images)
	}
	if err == nil {
		err = writeInt32s(w, p.Data.Labels)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(err)
	}
	var rep Reply
	if err := e.call(ctx, nil, &rep); err != nil {
		return fail(err)
	}
	if !rep.OK {
		return fmt.Errorf("GPU worker %d: %s", e.device, rep.Error)
	}
	e.name, e.points, e.images = rep.Name, rep.Points, rep.Images
	return nil
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return e.name }

// Capacity returns the worker engine's preferred weight sets and images per call (0: none).
func (e *Engine) Capacity() (points, images int) { return e.points, e.images }

// Evaluate implements engine.Engine. A worker that dies, or does not answer before ctx ends,
// is killed, and this and every later call return an error.
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	req := Request{Op: "eval", Lo: lo, Hi: hi, A: make([]uint64, len(pts)), B: make([]uint64, len(pts))}
	for i, pt := range pts {
		req.A[i], req.B[i] = math.Float64bits(pt.A), math.Float64bits(pt.B)
	}
	var rep Reply
	if err := e.call(ctx, &req, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", e.label(), err)
	}
	if !rep.OK {
		return nil, fmt.Errorf("%s: %s", e.label(), rep.Error)
	}
	if len(rep.Loss) != len(pts) || len(rep.Correct) != len(pts) {
		e.broken = fmt.Errorf("answered %d sums for %d points", len(rep.Loss), len(pts))
		e.kill()
		return nil, fmt.Errorf("%s: %w", e.label(), e.broken)
	}
	out := make([]engine.Sums, len(pts))
	for i := range out {
		out[i] = engine.Sums{Loss: math.Float64frombits(rep.Loss[i]), Correct: rep.Correct[i]}
	}
	return out, nil
}

func (e *Engine) label() string {
	if e.name != "" {
		return e.name
	}
	return fmt.Sprintf("GPU worker %d", e.device)
}

// call sends req (unless nil) and reads the reply into rep. Any failure leaves the engine broken.
func (e *Engine) call(ctx context.Context, req *Request, rep *Reply) error {
	if e.broken != nil {
		return e.broken
	}
	if req != nil {
		if err := writeLine(e.in, req); err != nil {
			e.broken = e.annotate(fmt.Errorf("worker gone: %w", err))
			e.kill()
			return e.broken
		}
	}
	line, err := e.read(ctx)
	if err == nil {
		if err = json.Unmarshal(line, rep); err != nil {
			err = fmt.Errorf("unreadable answer %.80q", line)
		}
	}
	if err != nil {
		e.kill()
		e.broken = e.annotate(err)
		return e.broken
	}
	return nil
}

// read returns the worker's next line, or an error when it exits first or ctx ends (the
// worker is then killed: it would answer out of step).
func (e *Engine) read(ctx context.Context) ([]byte, error) {
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := readLine(e.out)
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("worker exited: %w", r.err)
		}
		return r.line, nil
	case <-ctx.Done():
		e.kill()
		<-ch
		return nil, ctx.Err()
	}
}

// annotate adds the worker's exit status and the end of its stderr to err.
func (e *Engine) annotate(err error) error {
	select {
	case <-e.exited:
	case <-time.After(2 * time.Second):
	}
	var extra []string
	select {
	case <-e.exited:
		if e.exit != nil {
			extra = append(extra, e.exit.Error())
		}
	default:
	}
	if s := e.stderr.String(); s != "" {
		extra = append(extra, "stderr: "+s)
	}
	if len(extra) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(extra, "; "))
}

// kill ends the worker process.
func (e *Engine) kill() {
	if e.cmd.Process != nil {
		e.cmd.Process.Kill()
	}
	e.in.Close()
}

// Close implements engine.Engine: it asks the worker to exit, and kills it if it does not.
func (e *Engine) Close() error {
	if e.broken == nil {
		writeLine(e.in, Request{Op: "close"})
	}
	e.in.Close()
	select {
	case <-e.exited:
	case <-time.After(waitTimeout):
		e.cmd.Process.Kill()
		<-e.exited
	}
	e.outR.Close()
	if e.broken == nil {
		e.broken = errors.New("engine closed")
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
