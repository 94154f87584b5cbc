// Package scan is the scheduler: it splits the grid points still to compute into groups of K
// and the data into batches of B images, feeds the (group, batch) tasks to every engine at once,
// re-queues the task of an engine that fails (retiring an engine that keeps failing, then
// falling back to CPU engines), and reports each point as soon as all its batches are in.
//
// A point's loss is Σ_batches Σ_images CE / N, the batch sums added in batch order, so a
// point's value does not depend on which engine or worker computed which batch, or when.
package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"landscape/engine"
)

// Options tune the scheduler. Zero values pick defaults.
type Options struct {
	Images          int            // images per task (B); 0: the first engine's Capacity, else 128
	Points          int            // points per task (K); 0: the first engine's Capacity, else 1
	Retries         int            // failures a task may have, beyond one per engine, before the scan stops (default 3)
	Fallback        engine.Factory // makes engines when every engine has been retired; nil: give up
	FallbackWorkers int            // how many fallback engines (default 1)
	Log             func(format string, args ...any)
}

// Capacity is implemented by engines that know the batch sizes that suit them.
type Capacity interface {
	Capacity() (points, images int)
}

// Done receives a finished point: its index, mean loss and accuracy in percent.
type Done func(k int, loss, acc float64)

type task struct {
	group, batch int
	fails        int
}

type state struct {
	mu       sync.Mutex
	cond     *sync.Cond
	queue    []task
	inflight int
	err      error
	partial  [][][]engine.Sums // [group][batch][point in group]
	left     []int             // batches still missing per group
}

// Run computes the points todo (indices into pts) with the given engines and calls done for
// each as it completes, one call at a time. It returns when all are done, when ctx is
// cancelled (ctx.Err()), or when the work cannot go on. Run closes the fallback engines it
// makes; the caller closes the engines it gave.
func Run(ctx context.Context, p *engine.Problem, pts []engine.Point, todo []int, engines []engine.Engine, opt Options, done Done) error {
	if len(todo) == 0 {
		return nil
	}
	if len(engines) == 0 && opt.Fallback == nil {
		return errors.New("scan: no engine")
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	if opt.Retries == 0 {
		opt.Retries = 3
	}
	// A batch may fail once on each engine (a bad GPU) and Retries times more before the scan
	// gives up on it.
	limit := opt.Retries + len(engines)
	k, b := opt.Points, opt.Images
	if len(engines) > 0 {
		if c, ok := engines[0].(Capacity); ok {
			ck, cb := c.Capacity()
			k, b = orDefault(k, ck), orDefault(b, cb)
		}
	}
	k, b = orDefault(k, 1), orDefault(b, 128)
	n := p.Data.N
	batches := (n + b - 1) / b
	groups := (len(todo) + k - 1) / k
	s := &state{partial: make([][][]engine.Sums, groups), left: make([]int, groups)}
	s.cond = sync.NewCond(&s.mu)
	for g := range groups {
		s.partial[g] = make([][]engine.Sums, batches)
		s.left[g] = batches
		for c := range batches {
			s.queue = append(s.queue, task{group: g, batch: c})
		}
	}
	groupPoints := func(g int) (idx []int, ps []engine.Point) {
		idx = todo[g*k : min((g+1)*k, len(todo))]
		for _, i := range idx {
			ps = append(ps, pts[i])
		}
		return idx, ps
	}
	finish := func(g int) {
		idx, _ := groupPoints(g)
		for j, pi := range idx {
			var loss float64
			var correct int64
			for c := range batches {
				loss += s.partial[g][c][j].Loss
				correct += s.partial[g][c][j].Correct
			}
			done(pi, loss/float64(n), 100*float64(correct)/float64(n))
		}
		s.partial[g] = nil
	}
	worker := func(e engine.Engine) {
		strikes := 0
		for {
			s.mu.Lock()
			for len(s.queue) == 0 && s.inflight > 0 && s.err == nil {
				s.cond.Wait()
			}
			if len(s.queue) == 0 || s.err != nil {
				s.mu.Unlock()
				return
			}
			t := s.queue[0]
			s.queue = s.queue[1:]
			s.inflight++
			s.mu.Unlock()

			_, ps := groupPoints(t.group)
			lo, hi := t.batch*b, min((t.batch+1)*b, n)
			res, err := e.Evaluate(ctx, ps, lo, hi)
			if err == nil && len(res) != len(ps) {
				err = fmt.Errorf("engine %s returned %d results for %d points", e.Name(), len(res), len(ps))
			}

			s.mu.Lock()
			s.inflight--
			retire := false
			switch {
			case ctx.Err() != nil:
				s.queue = append([]task{t}, s.queue...)
				if s.err == nil {
					s.err = ctx.Err()
				}
			case err != nil:
				t.fails++
				strikes++
				opt.Log("engine %s failed on images %d-%d of %d points (%v); the batch is queued again", e.Name(), lo, hi, len(ps), err)
				if t.fails > limit {
					s.err = fmt.Errorf("scan: a batch failed %d times, last on %s: %w", t.fails, e.Name(), err)
				}
				s.queue = append([]task{t}, s.queue...)
				retire = strikes >= 2
			default:
				strikes = 0
				s.partial[t.group][t.batch] = res
				if s.left[t.group]--; s.left[t.group] == 0 {
					finish(t.group)
				}
			}
			s.cond.Broadcast()
			s.mu.Unlock()
			if retire {
				opt.Log("engine %s retired after repeated failures", e.Name())
				return
			}
		}
	}
	run := func(es []engine.Engine) {
		var wg sync.WaitGroup
		for _, e := range es {
			wg.Add(1)
			go func() { defer wg.Done(); worker(e) }()
		}
		wg.Wait()
	}
	run(engines)
	if s.err == nil && len(s.queue) > 0 && opt.Fallback != nil {
		opt.Log("no engine left; continuing on %d fallback engine(s)", max(1, opt.FallbackWorkers))
		var fb []engine.Engine
		defer func() {
			for _, e := range fb {
				e.Close()
			}
		}()
		for range max(1, opt.FallbackWorkers) {
			e, err := opt.Fallback(p)
			if err != nil {
				return fmt.Errorf("scan: fallback engine: %w", err)
			}
			fb = append(fb, e)
		}
		run(fb)
	}
	if s.err != nil {
		return s.err
	}
	if len(s.queue) > 0 {
		return errors.New("scan: every engine failed; the points computed so far are kept")
	}
	return nil
}

func orDefault(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}
