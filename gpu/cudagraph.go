package gpu

import (
	"encoding/binary"
	"fmt"
	"os"
)

// CUDA graphs: the kernels of one batch (every layer of the forward pass and the loss) are
// captured once into a CUDA graph and replayed as one launch, which saves the per-kernel launch
// cost of the host (a few µs each); that matters where the kernels are short: small batches,
// small networks, many layers.
//
// The rule that keeps replays correct: a graph holds its kernels' arguments BY VALUE, as they
// were at capture. So the key of a graph is the whole launch sequence with every argument by
// value (kernel names, grids, blocks, pointers — the images and labels of the batch among them
// —, K, B, shapes; the precision and the kernel path through the kernel names), and a sequence
// that differs in anything is captured anew. What changes every group without changing the
// sequence lives in device memory written outside the graph: the points' (α_k, β_k) are copied
// to Engine.ab, and fold_weights turns them into the folded weights, before the group's first
// batch, both launched directly; the sums are cleared directly too. In a scan, where every group
// of points runs over the same image range, the first group launches its batches directly, the
// second captures them (a sequence is captured when seen the second time, so that one used once
// costs no capture) and the others replay them.

// GraphEnv is the environment variable that turns CUDA graphs off when "0" (as
// Options.NoGraphs does). They are on by default where the backend can capture them (the CUDA
// driver), and off with Options.Sync (a graph cannot wait after each kernel to name the one that
// faulted).
const GraphEnv = "LANDSCAPE_GPU_GRAPH"

// maxGraphs bounds the graphs an engine keeps: a range of more batches than that runs its
// further batches by direct launches (nothing is evicted, so a cyclic scan cannot thrash).
// maxSeen bounds the sequences remembered as seen once.
const (
	maxGraphs = 256
	maxSeen   = 4 * maxGraphs
)

// launchRec is one kernel launch as the engine would queue it.
type launchRec struct {
	name        string
	grid, block dim
	args        []any
}

// graphExec is a backend's handle of an instantiated graph.
type graphExec any

// grapher is what a backend that supports CUDA graphs adds to backend.
type grapher interface {
	// capture records launches, in order, into a graph without running them.
	capture(launches []launchRec) (graphExec, error)
	// replay queues graph g. now is the sequence the engine would launch directly at this
	// point: equal to the captured one by the engine's keying; a backend may check it (the
	// fake does, to catch a stale argument).
	replay(g graphExec, now []launchRec) error
}

// graphCache holds an engine's graphs by launch sequence.
type graphCache struct {
	g        grapher
	execs    map[string]graphExec
	seen     map[string]bool // sequences launched directly once
	limit    int
	off      error // capture failed: every batch launches directly from then on
	captures int   // graphs captured
	replays  int   // graph launches
}

// newGraphCache returns the graph cache of an engine on dev, or nil when graphs are off: the
// backend cannot capture, off is set (Options.Sync or NoGraphs), or GraphEnv is "0".
func newGraphCache(dev backend, off bool) *graphCache {
	g, ok := dev.(grapher)
	if !ok || off || os.Getenv(GraphEnv) == "0" {
		return nil
	}
	return &graphCache{g: g, execs: map[string]graphExec{}, seen: map[string]bool{}, limit: maxGraphs}
}

// graphKey encodes launches with every argument by value (packArgs' bytes).
func graphKey(launches []launchRec) (string, error) {
	key := make([]byte, 0, 64*len(launches))
	for _, l := range launches {
		slots, err := packArgs(l.name, l.args)
		if err != nil {
			return "", err
		}
		key = append(key, l.name...)
		key = append(key, 0)
		for _, v := range []int{l.grid.x, l.grid.y, l.grid.z, l.block.x, l.block.y, l.block.z} {
			key = binary.LittleEndian.AppendUint64(key, uint64(v))
		}
		for _, s := range slots {
			key = binary.LittleEndian.AppendUint64(key, s)
		}
	}
	return string(key), nil
}

// run queues launches: the graph captured for this very sequence, or a new capture of it when
// the sequence was seen before, or (first seen, cache full, capture failed) the launches one by
// one on dev.
func (c *graphCache) run(dev backend, launches []launchRec) error {
	if len(launches) == 0 {
		return nil
	}
	direct := func() error {
		for _, l := range launches {
			if err := dev.launch(l.name, l.grid, l.block, l.args...); err != nil {
				return err
			}
		}
		return nil
	}
	if c.off != nil {
		return direct()
	}
	key, err := graphKey(launches)
	if err != nil {
		return err
	}
	x, ok := c.execs[key]
	if !ok {
		if !c.seen[key] {
			if len(c.seen) < maxSeen {
				c.seen[key] = true
			}
			return direct()
		}
		if len(c.execs) >= c.limit {
			return direct()
		}
		delete(c.seen, key)
		if x, err = c.g.capture(launches); err != nil {
			c.off = fmt.Errorf("gpu: %s: capturing a CUDA graph: %w (launching directly from now on)", dev.label(), err)
			return direct()
		}
		c.execs[key] = x
		c.captures++
	}
	c.replays++
	return c.g.replay(x, launches)
}
