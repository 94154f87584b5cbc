package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"landscape/data"
	"landscape/engine"
	"landscape/model"
)

// Opener makes the engine a worker serves, for a problem and a precision.
type Opener func(p *engine.Problem, precision string) (engine.Engine, error)

// Serve is a worker's main loop: it writes hello, and unless hello says the worker cannot work,
// answers requests from in on out until a close request or the end of in. Errors of a request
// are answered, not returned; Serve returns an error only when the pipes fail.
//
// An evaluation error that has a method Fatal() bool returning true (the GPU engine's sticky
// CUDA errors: the context is lost) is answered with Reply.Fatal, and Serve then returns
// ErrFatal: the worker must exit, so that the client starts a fresh process.
//
// The environment variable LANDSCAPE_GPU_WORKER_FAULT=KIND[@DEVICE][,once=FILE] injects faults
// for the client's tests: "exit-in-eval" exits with status 3 on receiving an eval request,
// "hang-in-eval" never answers one, "error-in-eval" answers it with an error, "fatal-in-eval"
// fails it with a fatal error (as a sticky CUDA error does); with @DEVICE only the worker
// serving that device misbehaves; with once=FILE only a worker that creates FILE does (the
// first one), so a restarted worker works and the file proves the fault happened; "%d" in FILE
// stands for the device ordinal (one fault per device). "old-protocol" answers as a worker
// built before Reply.Squares and Reply.LossSq: without them (once does not apply to it).
func Serve(in io.Reader, out io.Writer, hello Hello, device int, open Opener) error {
	hello.Proto = Proto
	s := &server{w: bufio.NewWriter(out), r: bufio.NewReaderSize(in, 1<<20), open: open, fault: faultFor(device)}
	if err := s.send(hello); err != nil || !hello.OK {
		return err
	}
	defer func() {
		if s.e != nil {
			s.e.Close()
		}
	}()
	for {
		line, err := readLine(s.r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			return fmt.Errorf("bad request %.80q: %w", line, err)
		}
		var rep Reply
		switch req.Op {
		case "problem":
			rep = s.problem(&req)
		case "eval":
			if rep, err = s.eval(&req); err != nil {
				return err
			}
		case "close":
			return nil
		default:
			rep.Error = fmt.Sprintf("unknown op %q", req.Op)
		}
		if err := s.send(rep); err != nil {
			return err
		}
	}
}

// server is the state of Serve's loop: the pipes, the engine of the last problem, and the
// fault to inject.
type server struct {
	w     *bufio.Writer
	r     *bufio.Reader
	open  Opener
	e     engine.Engine
	n     int // the images of the engine's problem
	fault fault
	// squares: eval answers carry LossSq (the engine returns Σ ℓ², and no old-protocol fault).
	squares bool
}

// send writes one reply (or the hello) and flushes it.
func (s *server) send(v any) error {
	if err := writeLine(s.w, v); err != nil {
		return err
	}
	return s.w.Flush()
}

// problem answers a problem request: it reads the problem's data and opens a new engine for
// it, closing the previous one.
func (s *server) problem(req *Request) Reply {
	if s.e != nil {
		s.e.Close()
		s.e = nil
	}
	p, err := readProblem(s.r, req)
	if err == nil {
		s.e, err = s.open(p, req.Precision)
	}
	if err != nil {
		return Reply{Error: err.Error()}
	}
	s.squares = engine.SumsSquares(s.e) && s.fault.kind != "old-protocol"
	rep := Reply{OK: true, Name: s.e.Name(), Squares: s.squares}
	s.n = p.Data.N
	if c, ok := s.e.(interface{ Capacity() (int, int) }); ok {
		rep.Points, rep.Images = c.Capacity()
	}
	return rep
}

// eval answers an eval request. A non-nil error ends Serve: a pipe failed, or a fatal error
// was answered (ErrFatal).
func (s *server) eval(req *Request) (Reply, error) {
	rep, err := s.injectFault()
	if err != nil {
		return rep, err
	}
	if s.e == nil {
		rep.Error = "eval before problem"
	} else if rep.Error == "" {
		rep.Error = checkEval(req, s.n)
	}
	if rep.Error != "" {
		return rep, nil
	}
	pts := make([]engine.Point, len(req.A))
	for i := range pts {
		pts[i] = engine.Point{A: math.Float64frombits(req.A[i]), B: math.Float64frombits(req.B[i])}
	}
	sums, err := s.e.Evaluate(context.Background(), pts, req.Lo, req.Hi)
	if err != nil {
		rep.Error = err.Error()
		var f interface{ Fatal() bool }
		if errors.As(err, &f) && f.Fatal() {
			rep.Fatal = true
			if err := s.send(rep); err != nil {
				return rep, err
			}
			return rep, fmt.Errorf("%w: %v", ErrFatal, err)
		}
		return rep, nil
	}
	rep.OK = true
	for _, sum := range sums {
		rep.Loss = append(rep.Loss, math.Float64bits(sum.Loss))
		rep.Correct = append(rep.Correct, sum.Correct)
		if s.squares {
			rep.LossSq = append(rep.LossSq, math.Float64bits(sum.LossSq))
		}
	}
	return rep, nil
}

// injectFault does what LANDSCAPE_GPU_WORKER_FAULT asks of an eval request (see Serve): exit,
// hang, a reply with an error, or a fatal error answered (then it returns ErrFatal).
func (s *server) injectFault() (Reply, error) {
	switch s.fault.now() {
	case "exit-in-eval":
		os.Exit(3)
	case "hang-in-eval":
		for {
			time.Sleep(time.Hour)
		}
	case "error-in-eval":
		return Reply{Error: "injected fault"}, nil
	case "fatal-in-eval":
		s.fault.kind = "" // the worker exits: no second fault
		if err := s.send(Reply{Error: "injected fatal device error", Fatal: true}); err != nil {
			return Reply{}, err
		}
		return Reply{}, ErrFatal
	}
	return Reply{}, nil
}

// ErrFatal is returned by Serve after it answered a fatal error: the worker must exit.
var ErrFatal = errors.New("fatal device error")

type fault struct{ kind, once string }

// now returns the fault to inject now: its kind, or "" when there is none or, with once=FILE,
// another worker created FILE first (this worker then never injects it).
func (f *fault) now() string {
	if f.kind != "" && f.once != "" {
		file, err := os.OpenFile(f.once, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			f.kind = "" // another worker had the fault
			return ""
		}
		fmt.Fprintf(file, "%s pid %d\n", f.kind, os.Getpid())
		file.Close()
		f.once = ""
	}
	return f.kind
}

// faultFor parses LANDSCAPE_GPU_WORKER_FAULT for the worker of device.
func faultFor(device int) fault {
	spec, once, _ := strings.Cut(os.Getenv("LANDSCAPE_GPU_WORKER_FAULT"), ",once=")
	kind, dev, ok := strings.Cut(spec, "@")
	if ok && dev != fmt.Sprint(device) {
		return fault{}
	}
	return fault{kind, strings.ReplaceAll(once, "%d", fmt.Sprint(device))}
}

// readProblem builds the problem of a problem request, reading its data from r.
func readProblem(r io.Reader, req *Request) (*engine.Problem, error) {
	h := req.Data
	if err := checkData(h); err != nil {
		return nil, err
	}
	d := &data.Set{Name: h.Name, N: h.N, C: h.C, H: h.H, W: h.W, Classes: h.Classes}
	var err error
	if d.Images, d.Labels, err = readImagesAndLabels(r, h.N, h.C*h.H*h.W); err != nil {
		return nil, err
	}
	n, err := buildNet(req)
	if err != nil {
		return nil, err
	}
	load := func(file string) (*model.Weights, error) {
		if file == "" {
			return nil, nil
		}
		w, _, err := model.ReadSafetensors(file)
		return w, err
	}
	base, err := load(req.Base)
	if err != nil {
		return nil, err
	}
	if base == nil {
		return nil, fmt.Errorf("problem request without base weights")
	}
	if err := n.CheckWeights(base, req.Base); err != nil {
		return nil, err
	}
	dx, err := load(req.DX)
	if err != nil {
		return nil, err
	}
	dy, err := load(req.DY)
	if err != nil {
		return nil, err
	}
	return engine.NewProblem(n, model.Order(n, base), dx, dy, d)
}

// waitTimeout is how long Close waits for a worker to exit before killing it.
var waitTimeout = 5 * time.Second
