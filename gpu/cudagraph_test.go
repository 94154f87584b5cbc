package gpu

import (
	"context"
	"strings"
	"testing"

	"landscape/engine"
	"landscape/internal/enginetest"
)

// graphCall is one Evaluate of the CUDA graph tests.
type graphCall struct {
	pts    []engine.Point
	lo, hi int
	// captured and replayed are the fake's counts after the call with K = 2, B = 2.
	captured, replayed int
}

var otherPoints = []engine.Point{{A: 0.1, B: -0.2}, {A: -0.4, B: 0.05}, {A: 0.6, B: 0.3}, {A: -0.05, B: -0.7}}

// graphCalls on resnet8's 6 images: the first launches its first group's batches (0, 2, 4)
// directly, captures them with its second group (seen twice) and replays them; other points over
// the same images need no new capture (α, β are in device memory); another range, a group of one
// point (K 1) and a batch of one image (B 1) change by-value arguments: launched directly when
// new, captured anew when seen again.
var graphCalls = []graphCall{
	{enginetest.Points, 0, 6, 3, 3},
	{otherPoints, 0, 6, 3, 9},
	{enginetest.Points[:3], 1, 6, 3, 9}, // groups k=2, k=1 × batches b0=1, 3 (B 2), 5 (B 1): all new
	{otherPoints[1:], 1, 6, 9, 15},
}

// openGraphTest opens resnet8 (residual layers, pools) on the fake with K = 2, B = 2.
func openGraphTest(t *testing.T, o Options) (*Engine, *fakeDevice) {
	t.Helper()
	p, err := enginetest.Setup(enginetest.Cases[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	o.Points, o.Images = 2, 2
	f := newFake(1 << 30)
	e, err := newEngine(f, 0, p, o)
	if err != nil {
		t.Fatal(err)
	}
	return e, f
}

// TestCUDAGraphReplayEqualsDirect: replayed graphs give the sums of direct launches bit for bit
// across calls with other points and other image ranges, capture when K, B or the images change
// and only then, and replay a captured graph only for the very launch sequence it holds (the
// fake checks every by-value argument at each replay).
func TestCUDAGraphReplayEqualsDirect(t *testing.T) {
	g, fg := openGraphTest(t, Options{})
	t.Setenv(GraphEnv, "0")
	d, fd := openGraphTest(t, Options{})
	if g.graphs == nil || d.graphs != nil {
		t.Fatalf("graphs on by default: %v; with %s=0: %v", g.graphs != nil, GraphEnv, d.graphs != nil)
	}
	for i, c := range graphCalls {
		got, err := g.Evaluate(context.Background(), c.pts, c.lo, c.hi)
		if err != nil {
			t.Fatalf("call %d with graphs: %v", i, err)
		}
		want, err := d.Evaluate(context.Background(), c.pts, c.lo, c.hi)
		if err != nil {
			t.Fatalf("call %d direct: %v", i, err)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("call %d point %d: graphs %+v, direct %+v", i, k, got[k], want[k])
			}
		}
		if fg.captured != c.captured || fg.replayed != c.replayed {
			t.Errorf("call %d: %d graphs captured, %d replayed; want %d, %d", i, fg.captured, fg.replayed, c.captured, c.replayed)
		}
	}
	if fd.captured != 0 || fd.replayed != 0 {
		t.Errorf("%s=0: %d graphs captured, %d replayed", GraphEnv, fd.captured, fd.replayed)
	}
	// The results are right, not merely equal: against the naive float64 sums.
	got, _ := g.Evaluate(context.Background(), otherPoints, 1, 6)
	for k, w := range enginetest.Expected(g.p, otherPoints, 1, 6) {
		if rel := (got[k].Loss - w.Loss) / w.Loss; rel > 1e-4 || rel < -1e-4 || got[k].Correct != w.Correct {
			t.Errorf("point %d: %+v, want %+v", k, got[k], w)
		}
	}
}

// TestCUDAGraphStaleArgument: the fake's replay refuses a graph whose by-value arguments are not
// those of the batch (here the images pointer of the next batch), so a keying bug fails tests.
func TestCUDAGraphStaleArgument(t *testing.T) {
	e, f := openGraphTest(t, Options{})
	e.record, e.rec = true, nil
	if _, err := e.forward(2, 2, e.images); err != nil {
		t.Fatal(err)
	}
	first := e.rec
	e.rec = nil
	pixels := e.p.Data.C * e.p.Data.H * e.p.Data.W
	if _, err := e.forward(2, 2, e.images+ptr(4*2*pixels)); err != nil {
		t.Fatal(err)
	}
	e.record = false
	x, err := f.capture(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.replay(x, e.rec); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("replaying the first batch's graph for the second: %v, want a stale-argument error", err)
	}
	k1, _ := graphKey(first)
	k2, _ := graphKey(e.rec)
	if k1 == k2 {
		t.Error("two batches of other images have the same graph key")
	}
}

// TestCUDAGraphOff: Options.NoGraphs, Options.Sync and LANDSCAPE_GPU_SYNC=1 (a kernel's fault
// named) turn graphs off; a failed capture falls back to direct launches with the same sums; a full cache launches
// its further batches directly.
func TestCUDAGraphOff(t *testing.T) {
	ref, _ := openGraphTest(t, Options{})
	want, err := ref.Evaluate(context.Background(), enginetest.Points, 0, 6)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, e *Engine, f *fakeDevice, captured, replayed int) {
		t.Helper()
		got, err := e.Evaluate(context.Background(), enginetest.Points, 0, 6)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s: point %d: %+v, want %+v", name, k, got[k], want[k])
			}
		}
		if f.captured != captured || f.replayed != replayed {
			t.Errorf("%s: %d graphs captured, %d replayed; want %d, %d", name, f.captured, f.replayed, captured, replayed)
		}
	}
	e, f := openGraphTest(t, Options{Sync: true})
	check("Options.Sync", e, f, 0, 0)
	e, f = openGraphTest(t, Options{NoGraphs: true})
	check("Options.NoGraphs", e, f, 0, 0)
	e, f = openGraphTest(t, Options{})
	f.failCapture = true
	check("failed capture", e, f, 0, 0)
	if e.graphs.off == nil || !strings.Contains(e.graphs.off.Error(), "not supported") {
		t.Errorf("failed capture: graphs.off = %v", e.graphs.off)
	}
	e, f = openGraphTest(t, Options{})
	e.graphs.limit = 1
	check("cache of 1", e, f, 1, 1) // batch 0 captured and replayed by group 2
	t.Setenv(SyncEnv, "1")
	e, f = openGraphTest(t, Options{})
	check(SyncEnv+"=1", e, f, 0, 0)
}
