package gpu

import (
	"errors"
	"fmt"
	"slices"
)

// The fake device's model of CUDA graphs: capture keeps a copy of the launch list (arguments by
// value, as cuStreamBeginCapture does) and runs nothing; replay runs the captured list, and fails
// loudly when the engine meant to launch anything else at that point (a stale by-value argument:
// an image offset, a batch size, a pointer), which a real graph would silently replay wrong.

// fakeGraph is a captured launch list.
type fakeGraph struct{ launches []launchRec }

// errFakeNoCapture makes the fake's capture fail, as a driver without graphs would.
var errFakeNoCapture = errors.New("fake: stream capture not supported")

func (f *fakeDevice) capture(launches []launchRec) (graphExec, error) {
	if f.failCapture {
		return nil, errFakeNoCapture
	}
	g := &fakeGraph{}
	for _, l := range launches {
		g.launches = append(g.launches, launchRec{l.name, l.grid, l.block, slices.Clone(l.args)})
	}
	f.captured++
	return g, nil
}

func (f *fakeDevice) replay(x graphExec, now []launchRec) error {
	g := x.(*fakeGraph)
	if err := sameLaunches(g.launches, now); err != nil {
		return fmt.Errorf("fake: replaying a stale graph: %w", err)
	}
	f.replayed++
	for _, l := range g.launches {
		if err := f.launch(l.name, l.grid, l.block, l.args...); err != nil {
			return err
		}
	}
	return nil
}

// sameLaunches returns nil when now is the captured sequence, else the first difference.
func sameLaunches(captured, now []launchRec) error {
	if len(captured) != len(now) {
		return fmt.Errorf("captured %d launches, the batch has %d", len(captured), len(now))
	}
	for i, c := range captured {
		n := now[i]
		if c.name != n.name || c.grid != n.grid || c.block != n.block {
			return fmt.Errorf("launch %d: captured %s grid %v block %v, now %s grid %v block %v", i, c.name, c.grid, c.block, n.name, n.grid, n.block)
		}
		if len(c.args) != len(n.args) {
			return fmt.Errorf("launch %d (%s): captured %d arguments, now %d", i, c.name, len(c.args), len(n.args))
		}
		for j := range c.args {
			if c.args[j] != n.args[j] {
				return fmt.Errorf("launch %d (%s) argument %d: captured %v, now %v", i, c.name, j, c.args[j], n.args[j])
			}
		}
	}
	return nil
}
