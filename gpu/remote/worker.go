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
	"strings"
	"time"

	"landscape/engine"
)

// worker is one landscape-gpu process serving one engine. Any failure (the process exited, an
// answer out of step, no answer in time, a fatal device error) leaves it broken: it is killed and
// every later call returns that error; Engine decides whether to start a new one.
type worker struct {
	path   string
	device int
	cmd    *exec.Cmd
	in     *os.File // the worker's stdin
	out    *bufio.Reader
	stderr *tail
	outR   *os.File      // the read end of the worker's stdout, closed by close
	exited chan struct{} // closed when the process has been waited for
	exit   error         // its exit status, valid after exited
	name   string
	points int
	images int
	// squares: the problem answer said "squares" (the engine returns Σ ℓ², Reply.LossSq).
	squares bool
	broken  error
}

func start(ctx context.Context, path string, device int, o Options) (*worker, Hello, error) {
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
	w := &worker{path: path, device: device, in: inW, out: bufio.NewReaderSize(outR, 1<<16), stderr: &tail{}, exited: make(chan struct{})}
	w.cmd = exec.Command(path, args...)
	w.cmd.Stdin, w.cmd.Stdout, w.cmd.Stderr = inR, outW, w.stderr
	err = w.cmd.Start()
	inR.Close() // the child holds its own copies
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, Hello{}, fmt.Errorf("starting GPU worker %s: %w", path, err)
	}
	w.outR = outR
	go func() {
		// outR is not closed here: what the worker wrote just before exiting may still be
		// unread, and the reader sees EOF by itself once the worker's end is gone.
		w.exit = w.cmd.Wait()
		close(w.exited)
	}()
	var hello Hello
	hctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	line, err := w.read(hctx)
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
		w.kill()
		<-w.exited
		w.outR.Close()
		return nil, hello, fmt.Errorf("GPU worker %s (device %d): %w", path, device, w.annotate(err))
	}
	return w, hello, nil
}

func (w *worker) sendProblem(ctx context.Context, req *Request, p *engine.Problem) error {
	fail := func(err error) error {
		w.broken = err
		return fmt.Errorf("GPU worker %d: %w", w.device, w.annotate(err))
	}
	bw := bufio.NewWriterSize(w.in, 1<<20)
	err := writeLine(bw, req)
	if err == nil {
		err = writeFloat32s(bw, p.Data.Images)
	}
	if err == nil {
		err = writeInt32s(bw, p.Data.Labels)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fail(err)
	}
	var rep Reply
	if err := w.call(ctx, nil, &rep); err != nil {
		return fail(err)
	}
	if !rep.OK {
		return fmt.Errorf("GPU worker %d: %s", w.device, rep.Error)
	}
	w.name, w.points, w.images, w.squares = rep.Name, rep.Points, rep.Images, rep.Squares
	return nil
}

// evaluate sends one eval request and returns the answer. An error answer leaves the worker
// usable, unless the worker says it is exiting (Reply.Fatal).
func (w *worker) evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	req := Request{Op: "eval", Lo: lo, Hi: hi, A: make([]uint64, len(pts)), B: make([]uint64, len(pts))}
	for i, pt := range pts {
		req.A[i], req.B[i] = math.Float64bits(pt.A), math.Float64bits(pt.B)
	}
	var rep Reply
	if err := w.call(ctx, &req, &rep); err != nil {
		return nil, err
	}
	if rep.Fatal {
		w.broken = w.annotate(fmt.Errorf("fatal device error, the worker exits: %s", rep.Error))
		w.kill()
		return nil, w.broken
	}
	if !rep.OK {
		return nil, errors.New(rep.Error)
	}
	if len(rep.Loss) != len(pts) || len(rep.Correct) != len(pts) || w.squares && len(rep.LossSq) != len(pts) {
		w.broken = fmt.Errorf("answered %d sums, %d counts and %d squared sums for %d points", len(rep.Loss), len(rep.Correct), len(rep.LossSq), len(pts))
		w.kill()
		return nil, w.broken
	}
	out := make([]engine.Sums, len(pts))
	for i := range out {
		out[i] = engine.Sums{Loss: math.Float64frombits(rep.Loss[i]), Correct: rep.Correct[i]}
		if w.squares {
			out[i].LossSq = math.Float64frombits(rep.LossSq[i])
		}
	}
	return out, nil
}

// call sends req (unless nil) and reads the reply into rep. Any failure leaves the worker broken.
func (w *worker) call(ctx context.Context, req *Request, rep *Reply) error {
	if w.broken != nil {
		return w.broken
	}
	if req != nil {
		if err := writeLine(w.in, req); err != nil {
			w.broken = w.annotate(fmt.Errorf("worker gone: %w", err))
			w.kill()
			return w.broken
		}
	}
	line, err := w.read(ctx)
	if err == nil {
		if err = json.Unmarshal(line, rep); err != nil {
			err = fmt.Errorf("unreadable answer %.80q", line)
		}
	}
	if err != nil {
		w.kill()
		w.broken = w.annotate(err)
		return w.broken
	}
	return nil
}

// read returns the worker's next line, or an error when it exits first or ctx ends (the
// worker is then killed: it would answer out of step).
func (w *worker) read(ctx context.Context) ([]byte, error) {
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := readLine(w.out)
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("worker exited: %w", r.err)
		}
		return r.line, nil
	case <-ctx.Done():
		w.kill()
		<-ch
		return nil, ctx.Err()
	}
}

// annotate adds the worker's exit status and the end of its stderr to err.
func (w *worker) annotate(err error) error {
	select {
	case <-w.exited:
	case <-time.After(2 * time.Second):
	}
	var extra []string
	select {
	case <-w.exited:
		if w.exit != nil {
			extra = append(extra, w.exit.Error())
		}
	default:
	}
	if s := w.stderr.String(); s != "" {
		extra = append(extra, "stderr: "+s)
	}
	if len(extra) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(extra, "; "))
}

// kill ends the worker process.
func (w *worker) kill() {
	if w.cmd.Process != nil {
		w.cmd.Process.Kill()
	}
	w.in.Close()
}

// close asks the worker to exit, and kills it if it does not.
func (w *worker) close() {
	if w.broken == nil {
		writeLine(w.in, Request{Op: "close"})
	}
	w.in.Close()
	select {
	case <-w.exited:
	case <-time.After(waitTimeout):
		w.cmd.Process.Kill()
		<-w.exited
	}
	w.outR.Close()
	if w.broken == nil {
		w.broken = errors.New("engine closed")
	}
}
