package sched

import (
	"fmt"
	"slices"

	"landscape/engine"
)

// A plan says which tasks a phase runs and turns their sums into finished points. Its methods
// are called under the phase's lock.
type plan interface {
	// first returns the tasks to start with, in the order they should run.
	first() []task
	// record takes the sums of a finished task and returns the points it finished and the
	// tasks it makes runnable.
	record(t task, res []engine.Sums) ([]finished, []task)
	// left returns the points not yet delivered, in todo order.
	left() []int
}

// exactPlan evaluates every point on every image: all (group, batch) tasks are queued at once,
// and a group is delivered when all its batches are in, its sums added in batch order.
type exactPlan struct {
	todo      []int
	k, b, n   int // points per group, images per batch, images
	batches   int
	partial   [][][]engine.Sums // [group][batch][point in group]
	missing   []int             // batches still missing per group
	delivered []bool
}

// shape returns how many groups of k points and batches of b images an exact plan of pts points
// over n images has: ⌈pts/k⌉ and ⌈n/b⌉ (its tasks are every group with every batch).
func shape(pts, k, b, n int) (groups, batches int) { return (pts + k - 1) / k, (n + b - 1) / b }

func newExactPlan(todo []int, k, b, n int) *exactPlan {
	groups, batches := shape(len(todo), k, b, n)
	p := &exactPlan{todo: todo, k: k, b: b, n: n, batches: batches,
		partial: make([][][]engine.Sums, groups), missing: make([]int, groups), delivered: make([]bool, groups)}
	for g := range groups {
		p.partial[g] = make([][]engine.Sums, p.batches)
		p.missing[g] = p.batches
	}
	return p
}

func (p *exactPlan) group(g int) []int { return p.todo[g*p.k : min((g+1)*p.k, len(p.todo))] }

func (p *exactPlan) first() []task {
	var q []task
	for g := range p.partial {
		for c := range p.batches {
			q = append(q, task{group: g, batch: c, idx: p.group(g)})
		}
	}
	return q
}

func (p *exactPlan) record(t task, res []engine.Sums) ([]finished, []task) {
	p.partial[t.group][t.batch] = res
	if p.missing[t.group]--; p.missing[t.group] > 0 {
		return nil, nil
	}
	idx := p.group(t.group)
	out := make([]finished, len(idx))
	for j, pi := range idx {
		var tl Tally
		for c := range p.batches {
			s := p.partial[t.group][c][j]
			tl.add(0, s.Loss, s.LossSq, s.Correct)
		}
		tl.N = p.n
		out[j] = finished{pi, Result{Loss: tl.Mean(), Acc: 100 * float64(tl.Correct) / float64(p.n), Images: p.n}}
	}
	p.partial[t.group], p.delivered[t.group] = nil, true
	return out, nil
}

func (p *exactPlan) left() []int {
	var out []int
	for g, d := range p.delivered {
		if !d {
			out = append(out, p.group(g)...)
		}
	}
	return out
}

// samplePlan estimates each point's mean loss from the first images of the data (which the
// caller has put in a random order shared by every point), batch by batch: a group's next batch
// is queued once its previous one is in, for the points not yet Enough. A point's estimate
// thus depends only on the data order, the batch size and the tolerance, never on which engine
// computed which batch, or when.
type samplePlan struct {
	todo      []int
	k, b, n   int
	tol       float64
	tally     map[int]*Tally // by point, while sampling
	delivered map[int]bool
}

func newSamplePlan(todo []int, k, b, n int, tol float64) *samplePlan {
	p := &samplePlan{todo: todo, k: k, b: b, n: n, tol: tol, tally: map[int]*Tally{}, delivered: map[int]bool{}}
	for _, pi := range todo {
		p.tally[pi] = &Tally{}
	}
	return p
}

func (p *samplePlan) first() []task {
	var q []task
	for g := 0; g*p.k < len(p.todo); g++ {
		q = append(q, task{group: g, batch: 0, idx: p.todo[g*p.k : min((g+1)*p.k, len(p.todo))]})
	}
	return q
}

func (p *samplePlan) record(t task, res []engine.Sums) ([]finished, []task) {
	lo, hi := t.batch*p.b, min((t.batch+1)*p.b, p.n)
	var out []finished
	var going []int
	for j, pi := range t.idx {
		tl := p.tally[pi]
		tl.add(hi-lo, res[j].Loss, res[j].LossSq, res[j].Correct)
		if tl.Enough(p.tol, p.n) {
			out = append(out, finished{pi, tl.result(p.n)})
			delete(p.tally, pi)
			p.delivered[pi] = true
		} else {
			going = append(going, pi)
		}
	}
	if len(going) == 0 {
		return out, nil
	}
	return out, []task{{group: t.group, batch: t.batch + 1, idx: going}}
}

func (p *samplePlan) left() []int {
	return slices.DeleteFunc(slices.Clone(p.todo), func(pi int) bool { return p.delivered[pi] })
}

// checkSquares refuses, for a tolerance scan, engines whose sums lack Σ loss².
func checkSquares(opt Options, es []engine.Engine) error {
	if opt.Tolerance <= 0 {
		return nil
	}
	for _, e := range es {
		if !engine.SumsSquares(e) {
			return fmt.Errorf("scan: engine %s does not return the per-image squared losses that --tolerance needs for its error bars (the cpu and gpu engines do; a landscape-gpu worker built before they did does not: rebuild it with make gpu)", e.Name())
		}
	}
	return nil
}
