package sched

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/engine"
	"landscape/internal/enginetest"
)

func problem(t *testing.T) (*engine.Problem, []engine.Point) {
	t.Helper()
	p, err := enginetest.Setup(enginetest.Case{Model: "resnet8", InC: 1, HW: 8, Images: 7, DirType: "weights"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var pts []engine.Point
	for i := range 5 {
		pts = append(pts, engine.Point{A: 0.1 * float64(i), B: -0.05 * float64(i)})
	}
	return p, pts
}

// direct evaluates every point over all images in one call.
func direct(t *testing.T, p *engine.Problem, pts []engine.Point) []engine.Sums {
	e, _ := cpu.New(p)
	s, err := e.Evaluate(context.Background(), pts, 0, p.Data.N)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cpus(p *engine.Problem, n int) []engine.Engine {
	var es []engine.Engine
	for range n {
		e, _ := cpu.New(p)
		es = append(es, e)
	}
	return es
}

type result struct{ loss, acc float64 }

func collect(m *sync.Map) Done {
	return func(k int, loss, acc float64) { m.Store(k, result{loss, acc}) }
}

func check(t *testing.T, p *engine.Problem, want []engine.Sums, got *sync.Map, todo []int) {
	t.Helper()
	n := float64(p.Data.N)
	for _, k := range todo {
		v, ok := got.Load(k)
		if !ok {
			t.Errorf("point %d never reported", k)
			continue
		}
		r := v.(result)
		if math.Abs(r.loss-want[k].Loss/n) > 1e-12*math.Abs(r.loss) || r.acc != 100*float64(want[k].Correct)/n {
			t.Errorf("point %d: %v, want loss %v acc %v", k, r, want[k].Loss/n, 100*float64(want[k].Correct)/n)
		}
	}
}

func TestSplitsAndMatchesDirect(t *testing.T) {
	p, pts := problem(t)
	want := direct(t, p, pts)
	todo := []int{4, 0, 2, 3} // a resumed scan: point 1 already done
	var got sync.Map
	if err := Run(context.Background(), p, pts, todo, cpus(p, 2), Options{Images: 3, Points: 3}, collect(&got)); err != nil {
		t.Fatal(err)
	}
	check(t, p, want, &got, todo)
	if _, ok := got.Load(1); ok {
		t.Error("point 1 was not asked for but reported")
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	p, pts := problem(t)
	todo := []int{0, 1, 2, 3, 4}
	var a, b sync.Map
	Run(context.Background(), p, pts, todo, cpus(p, 1), Options{Images: 2}, collect(&a))
	Run(context.Background(), p, pts, todo, cpus(p, 3), Options{Images: 2, Points: 2}, collect(&b))
	for _, k := range todo {
		x, _ := a.Load(k)
		y, _ := b.Load(k)
		if x != y {
			t.Errorf("point %d: %v with one worker, %v with three", k, x, y)
		}
	}
}

// flaky fails every other call (the first included), or always.
type flaky struct {
	engine.Engine
	calls  atomic.Int64
	always bool
}

func (f *flaky) Name() string { return "flaky" }
func (f *flaky) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	if f.calls.Add(1)%2 == 1 || f.always {
		return nil, errors.New("simulated device fault")
	}
	return f.Engine.Evaluate(ctx, pts, lo, hi)
}

func TestRequeuesFailedBatches(t *testing.T) {
	p, pts := problem(t)
	want := direct(t, p, pts)
	// one engine failing every other call: each batch fails once, then succeeds when queued again
	es := []engine.Engine{&flaky{Engine: cpus(p, 1)[0]}}
	var got sync.Map
	var logs atomic.Int64
	opt := Options{Images: 2, Log: func(string, ...any) { logs.Add(1) }}
	if err := Run(context.Background(), p, pts, []int{0, 1, 2, 3, 4}, es, opt, collect(&got)); err != nil {
		t.Fatal(err)
	}
	check(t, p, want, &got, []int{0, 1, 2, 3, 4})
	if logs.Load() == 0 {
		t.Error("failures were not logged")
	}
}

func TestFallbackWhenEveryEngineFails(t *testing.T) {
	p, pts := problem(t)
	want := direct(t, p, pts)
	bad := &flaky{Engine: cpus(p, 1)[0], always: true}
	var got sync.Map
	opt := Options{Images: 4, Fallback: cpu.New, FallbackWorkers: 2}
	if err := Run(context.Background(), p, pts, []int{0, 1, 2, 3, 4}, []engine.Engine{bad}, opt, collect(&got)); err != nil {
		t.Fatal(err)
	}
	check(t, p, want, &got, []int{0, 1, 2, 3, 4})

	var none sync.Map
	err := Run(context.Background(), p, pts, []int{0, 1}, []engine.Engine{&flaky{Engine: bad.Engine, always: true}}, Options{}, collect(&none))
	if err == nil {
		t.Fatal("no error when every engine fails and there is no fallback")
	}
}

// cancelling stops the scan with ctx's error; points already reported stay valid.
func TestCancel(t *testing.T) {
	p, pts := problem(t)
	ctx, cancel := context.WithCancel(context.Background())
	e := &cancelling{Engine: cpus(p, 1)[0], at: 2, cancel: cancel}
	var n atomic.Int64
	err := Run(ctx, p, pts, []int{0, 1, 2, 3, 4}, []engine.Engine{e}, Options{Images: 7, Points: 1}, func(int, float64, float64) {
		n.Add(1)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d points reported after cancelling during the second", n.Load())
	}
}

// cancelling cancels the scan during its at-th call.
type cancelling struct {
	engine.Engine
	calls  int
	at     int
	cancel func()
}

func (c *cancelling) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	if c.calls++; c.calls == c.at {
		c.cancel()
	}
	return c.Engine.Evaluate(ctx, pts, lo, hi)
}

type sized struct{ engine.Engine }

func (sized) Capacity() (int, int) { return 5, 7 }

func TestCapacity(t *testing.T) {
	p, pts := problem(t)
	var calls atomic.Int64
	e := &counting{Engine: sized{cpus(p, 1)[0]}, calls: &calls}
	var got sync.Map
	if err := Run(context.Background(), p, pts, []int{0, 1, 2, 3, 4}, []engine.Engine{e}, Options{}, collect(&got)); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d Evaluate calls, want 1 (5 points, 7 images per call)", calls.Load())
	}
}

type counting struct {
	engine.Engine
	calls *atomic.Int64
}

func (c *counting) Capacity() (int, int) { return c.Engine.(Capacity).Capacity() }
func (c *counting) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	c.calls.Add(1)
	return c.Engine.Evaluate(ctx, pts, lo, hi)
}

// A fallback engine gets tasks of its own size, not those of the engines it replaces.
func TestFallbackTaskSizes(t *testing.T) {
	p, pts := problem(t)
	want := direct(t, p, pts)
	var badCalls, fbCalls atomic.Int64
	bad := &counting{Engine: sized{&flaky{Engine: cpus(p, 1)[0], always: true}}, calls: &badCalls}
	var mu sync.Mutex
	var shapes [][2]int
	fallback := func(p *engine.Problem) (engine.Engine, error) {
		e, err := cpu.New(p)
		return &recording{Engine: small{e}, mu: &mu, shapes: &shapes, calls: &fbCalls}, err
	}
	var got sync.Map
	opt := Options{Fallback: fallback, FallbackWorkers: 2}
	if err := Run(context.Background(), p, pts, []int{0, 1, 2, 3, 4}, []engine.Engine{bad}, opt, collect(&got)); err != nil {
		t.Fatal(err)
	}
	check(t, p, want, &got, []int{0, 1, 2, 3, 4})
	if badCalls.Load() == 0 || len(shapes) == 0 {
		t.Fatalf("calls: %d on the failing engine, %d on the fallback", badCalls.Load(), len(shapes))
	}
	for _, s := range shapes {
		if s[0] > 2 || s[1] > 3 {
			t.Errorf("fallback task of %d points x %d images, want at most its capacity 2 x 3", s[0], s[1])
		}
	}
}

// small is an engine whose capacity is 2 points of 3 images.
type small struct{ engine.Engine }

func (small) Capacity() (int, int) { return 2, 3 }

type recording struct {
	engine.Engine
	mu     *sync.Mutex
	shapes *[][2]int
	calls  *atomic.Int64
}

func (r *recording) Capacity() (int, int) { return r.Engine.(Capacity).Capacity() }
func (r *recording) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	r.mu.Lock()
	*r.shapes = append(*r.shapes, [2]int{len(pts), hi - lo})
	r.mu.Unlock()
	r.calls.Add(1)
	return r.Engine.Evaluate(ctx, pts, lo, hi)
}

func TestRefusesAnotherProblemAndEmptyData(t *testing.T) {
	p, pts := problem(t)
	q, _ := problem(t)
	var got sync.Map
	err := Run(context.Background(), p, pts, []int{0}, cpus(q, 1), Options{}, collect(&got))
	if err == nil || !strings.Contains(err.Error(), "another problem") {
		t.Errorf("engine of another problem: %v", err)
	}
	empty := *p
	empty.Data = p.Data.Slice(0, 0)
	err = Run(context.Background(), &empty, pts, []int{0}, cpus(&empty, 1), Options{}, collect(&got))
	if err == nil || !strings.Contains(err.Error(), "no examples") {
		t.Errorf("empty data set: %v", err)
	}
}

// done runs outside the scheduler's lock and no worker waits for it: while it blocks on the
// first point, the engines take and finish every other task.
func TestDoneOutsideTheLock(t *testing.T) {
	p, pts := problem(t)
	var mu sync.Mutex
	var shapes [][2]int
	var calls atomic.Int64
	es := []engine.Engine{
		&recording{Engine: cpus(p, 1)[0], mu: &mu, shapes: &shapes, calls: &calls},
		&recording{Engine: cpus(p, 1)[0], mu: &mu, shapes: &shapes, calls: &calls},
	}
	var reported atomic.Int64
	first := true
	err := Run(context.Background(), p, pts, []int{0, 1, 2, 3, 4}, es, Options{Images: 7, Points: 1}, func(int, float64, float64) {
		reported.Add(1)
		if !first {
			return
		}
		first = false
		for range 2000 { // up to 20 s: the engines must finish the other points meanwhile
			if calls.Load() == 5 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Error("the engines stopped taking tasks while done was running")
	})
	if err != nil || reported.Load() != 5 {
		t.Fatalf("err %v, %d reported", err, reported.Load())
	}
}

// TestTasksCountsRunsCalls: Tasks says how many Evaluate calls Run makes, for task sizes from
// the engine's Capacity and from the options, whole and partial.
func TestTasksCountsRunsCalls(t *testing.T) {
	p, pts := problem(t) // 7 images
	for _, c := range []struct {
		sized  bool
		opt    Options
		points int
	}{
		{true, Options{}, 5},           // 5 points a task, 7 images: 1
		{true, Options{}, 1},           // 1
		{false, Options{Images: 3}, 2}, // 2 points × ⌈7/3⌉
		{false, Options{Images: 7, Points: 2}, 5},
		{false, Options{Images: 2, Points: 4}, 5},
	} {
		var calls atomic.Int64
		var inner engine.Engine = cpus(p, 1)[0]
		if c.sized {
			inner = sized{inner}
		}
		e := &counting{Engine: inner, calls: &calls}
		todo := []int{0, 1, 2, 3, 4}[:c.points]
		var got sync.Map
		if err := Run(context.Background(), p, pts, todo, []engine.Engine{e}, c.opt, collect(&got)); err != nil {
			t.Fatal(err)
		}
		if n := Tasks(c.opt, []engine.Engine{e}, c.points, p.Data.N); int64(n) != calls.Load() {
			t.Errorf("sized %v, %+v, %d points: Tasks %d, Run made %d calls", c.sized, c.opt, c.points, n, calls.Load())
		}
	}
}
