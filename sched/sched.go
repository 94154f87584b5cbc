// Package sched is the scheduler: it splits the grid points still to compute into groups of K
// and the data into batches of B images, feeds the (group, batch) tasks to every engine at once,
// re-queues the task of an engine that fails (retiring an engine that keeps failing, then
// falling back to CPU engines), and reports each point as soon as all its batches are in.
//
// A point's loss is Σ_batches Σ_images CE / N, the batch sums added in batch order, so a
// point's value does not depend on which engine or worker computed which batch, or when; for
// a given engine kind and batch size B it is the same in every run.
//
// With Options.Tolerance, a point is instead estimated from a prefix of the data: its batches
// run one after another, and it stops at the first batch boundary where the standard error of
// its mean loss, from the per-image losses' sample variance with the finite-population
// correction (Tally.StdErr), is at most Tolerance × the mean (Tally.Enough). The caller shuffles
// the data once, with a seed it records, so every point sees the same images in the same
// order (common random numbers: neighbouring points' errors are strongly correlated, and the
// surface's shape is more accurate than each value). The estimate depends on the order, B
// and the tolerance only.
package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"landscape/engine"
)

// Options tune the scheduler. Zero values pick defaults.
type Options struct {
	Images          int            // images per task (B); 0: the engines' Capacity, else 128
	Points          int            // points per task (K); 0: the engines' Capacity, else 1
	Retries         int            // failures a task may have, beyond one per engine, before the scan stops (default 3)
	Fallback        engine.Factory // makes engines when every engine has been retired; nil: give up
	FallbackWorkers int            // how many fallback engines (default 1)
	Log             func(format string, args ...any)
	// Tolerance, when positive, makes each point an estimate from the first images of the
	// data, batch by batch, stopping once its standard error is at most Tolerance times its
	// mean loss (Tally.Enough). The caller puts the data in a random order first.
	Tolerance float64
}

// Capacity is implemented by engines that know the batch sizes that suit them.
type Capacity interface {
	Capacity() (points, images int)
}

// Bound is implemented by engines that say which problem they evaluate; Run refuses an engine
// bound to a problem other than the one it is given.
type Bound interface {
	Problem() *engine.Problem
}

// Done receives a finished point: its index, mean loss and accuracy in percent.
type Done func(k int, loss, acc float64)

// Run is RunResults for callers that need only each point's loss and accuracy.
func Run(ctx context.Context, p *engine.Problem, pts []engine.Point, todo []int, engines []engine.Engine, opt Options, done Done) error {
	return RunResults(ctx, p, pts, todo, engines, opt, func(k int, r Result) { done(k, r.Loss, r.Acc) })
}

// RunResults computes the points todo (indices into pts) with the given engines and calls done
// for each as it completes, one call at a time from one goroutine that no worker waits for. It
// returns when all are done, when ctx is cancelled (ctx.Err()), or when the work cannot go on.
// When every engine has been retired, the points not yet finished are computed by
// opt.FallbackWorkers engines from opt.Fallback, with task sizes of their own. Run closes the
// fallback engines it makes; the caller closes the engines it gave.
func RunResults(ctx context.Context, p *engine.Problem, pts []engine.Point, todo []int, engines []engine.Engine, opt Options, done func(k int, r Result)) error {
	if len(todo) == 0 {
		return nil
	}
	if p.Data.N == 0 {
		return fmt.Errorf("scan: the data set %s has no examples to evaluate", p.Data.Name)
	}
	if len(engines) == 0 && opt.Fallback == nil {
		return errors.New("scan: no engine")
	}
	if err := checkBound(p, engines); err != nil {
		return err
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	if opt.Retries == 0 {
		opt.Retries = 3
	}
	// Finished points go through a channel to one goroutine that calls done: workers never
	// wait for done, and done never runs under the scheduler's lock. Each point is sent once,
	// so the channel never fills.
	ch := make(chan finished, len(todo))
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		for f := range ch {
			done(f.k, f.Result)
		}
	}()
	err := runPhases(ctx, p, pts, todo, engines, opt, func(f finished) { ch <- f })
	close(ch)
	<-delivered
	return err
}

// runPhases runs the points on the engines, then what is left on fallback engines.
func runPhases(ctx context.Context, p *engine.Problem, pts []engine.Point, todo []int, engines []engine.Engine, opt Options, send func(finished)) error {
	left := todo
	if len(engines) > 0 {
		var err error
		if left, err = phase(ctx, p, pts, left, engines, opt, send); err != nil || len(left) == 0 {
			return err
		}
	}
	if opt.Fallback == nil {
		return errors.New("scan: every engine failed; the points computed so far are kept")
	}
	n := max(1, opt.FallbackWorkers)
	opt.Log("no engine left; continuing on %d fallback engine(s)", n)
	var fb []engine.Engine
	defer func() {
		for _, e := range fb {
			e.Close()
		}
	}()
	for range n {
		e, err := opt.Fallback(p)
		if err != nil {
			return fmt.Errorf("scan: fallback engine: %w", err)
		}
		fb = append(fb, e)
	}
	if err := checkBound(p, fb); err != nil {
		return err
	}
	left, err := phase(ctx, p, pts, left, fb, opt, send)
	if err == nil && len(left) > 0 {
		err = errors.New("scan: every engine failed, the fallback engines too; the points computed so far are kept")
	}
	return err
}

func checkBound(p *engine.Problem, es []engine.Engine) error {
	for _, e := range es {
		if b, ok := e.(Bound); ok && b.Problem() != p {
			return fmt.Errorf("scan: engine %s was made for another problem than the one to scan", e.Name())
		}
	}
	return nil
}

// Tasks returns how many tasks Run makes of n images at each of pts points on engines es with
// options opt (without a tolerance): its groups times its batches (shape), with K and B as sizes
// chooses them. At most that many engines compute at once.
func Tasks(opt Options, es []engine.Engine, pts, n int) int {
	k, b := sizes(opt, es)
	groups, batches := shape(pts, k, b, n)
	return groups * batches
}

// sizes returns the points and images per task for engines es: the options', else the first
// engine's Capacity, else 1 point and 128 images.
func sizes(opt Options, es []engine.Engine) (k, b int) {
	k, b = opt.Points, opt.Images
	if c, ok := es[0].(Capacity); ok {
		ck, cb := c.Capacity()
		k, b = orDefault(k, ck), orDefault(b, cb)
	}
	return orDefault(k, 1), orDefault(b, 128)
}

type task struct {
	group, batch int
	idx          []int // the points evaluated (indices into pts)
	fails        int
}

type finished struct {
	k int
	Result
}

// phase runs the points todo on engines es until all are done, every engine has retired, ctx
// is cancelled or a task has failed too often; it returns the points not delivered. Tasks run
// in queue order; the tasks a finished one makes runnable (a tolerance scan's next batch) go
// before those of later groups, so points finish roughly in todo order.
func phase(ctx context.Context, p *engine.Problem, pts []engine.Point, todo []int, es []engine.Engine, opt Options, send func(finished)) ([]int, error) {
	if err := checkSquares(opt, es); err != nil {
		return todo, err
	}
	k, b := sizes(opt, es)
	n := p.Data.N
	var pl plan = newExactPlan(todo, k, b, n)
	if opt.Tolerance > 0 {
		pl = newSamplePlan(todo, k, b, n, opt.Tolerance)
	}
	q := &phaseQueue{
		pts:   pts,
		b:     b,
		n:     n,
		plan:  pl,
		tasks: pl.first(),
		limit: opt.Retries + len(es), // a batch may fail once on each engine, and Retries times more
		log:   opt.Log,
	}
	q.cond = sync.NewCond(&q.mu)
	var wg sync.WaitGroup
	for _, e := range es {
		wg.Add(1)
		go func() { defer wg.Done(); q.work(ctx, e, send) }()
	}
	wg.Wait()
	return pl.left(), q.err
}

// A phaseQueue is what a phase's workers share: the points, the batch size b and the number of
// images n, and, guarded by mu, the plan, the tasks waiting in the order they should run, how
// many are running, and the first error, which ends the phase.
type phaseQueue struct {
	pts  []engine.Point
	b, n int

	mu       sync.Mutex
	cond     *sync.Cond
	plan     plan
	tasks    []task
	inflight int
	err      error
	limit    int // failures a task may have before the phase stops
	log      func(format string, args ...any)
}

// images returns the images [lo, hi) of batch i.
func (q *phaseQueue) images(i int) (lo, hi int) { return i * q.b, min((i+1)*q.b, q.n) }

// work is one engine's worker: it takes tasks, evaluates their points on their batch's images,
// settles them and sends the points they finish, outside the lock, until the phase is over or
// the engine has failed twice in a row (it is then retired).
func (q *phaseQueue) work(ctx context.Context, e engine.Engine, send func(finished)) {
	strikes := 0
	for {
		t, ok := q.take()
		if !ok {
			return
		}
		ps := make([]engine.Point, len(t.idx))
		for j, pi := range t.idx {
			ps[j] = q.pts[pi]
		}
		lo, hi := q.images(t.batch)
		res, err := e.Evaluate(ctx, ps, lo, hi)
		if err == nil && len(res) != len(ps) {
			err = fmt.Errorf("engine %s returned %d results for %d points", e.Name(), len(res), len(ps))
		}
		out, failed := q.settle(ctx, t, e, res, err)
		if failed {
			strikes++
		} else if err == nil {
			strikes = 0
		}
		for _, f := range out {
			send(f)
		}
		if strikes >= 2 {
			q.log("engine %s retired after repeated failures", e.Name())
			return
		}
	}
}

// take waits until a task is queued and takes it, or returns false when the phase is over:
// nothing is queued or running, or an error has been set.
func (q *phaseQueue) take() (task, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 && q.inflight > 0 && q.err == nil {
		q.cond.Wait()
	}
	if len(q.tasks) == 0 || q.err != nil {
		return task{}, false
	}
	t := q.tasks[0]
	q.tasks = q.tasks[1:]
	q.inflight++
	return t, true
}

// settle records the outcome of task t on engine e: on cancellation or failure the task goes
// back to the front of the queue (a failure is logged and counted against its limit); on
// success the plan takes its sums, and the tasks that makes runnable are queued before those
// of later groups. It returns the points finished and whether the engine failed.
func (q *phaseQueue) settle(ctx context.Context, t task, e engine.Engine, res []engine.Sums, err error) (out []finished, failed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer q.cond.Broadcast()
	q.inflight--
	switch {
	case ctx.Err() != nil:
		q.tasks = append([]task{t}, q.tasks...)
		if q.err == nil {
			q.err = ctx.Err()
		}
	case err != nil:
		t.fails++
		lo, hi := q.images(t.batch)
		q.log("engine %s failed on images %d-%d of %d points (%v); the batch is queued again", e.Name(), lo, hi, len(t.idx), err)
		if t.fails > q.limit && q.err == nil {
			q.err = fmt.Errorf("scan: a batch failed %d times, last on %s: %w", t.fails, e.Name(), err)
		}
		q.tasks = append([]task{t}, q.tasks...)
		return nil, true
	default:
		var next []task
		out, next = q.plan.record(t, res)
		for _, nt := range next {
			at := slices.IndexFunc(q.tasks, func(w task) bool { return w.group > nt.group })
			if at < 0 {
				at = len(q.tasks)
			}
			q.tasks = slices.Insert(q.tasks, at, nt)
		}
	}
	return out, false
}

func orDefault(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}
