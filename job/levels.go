package job

import (
	"time"

	"landscape/surface"
)

// levelWatch says when each coarse-to-fine level of a surface becomes complete: remaining[s] is
// how many points of level s (surface.Surface.Level) are not yet computed.
type levelWatch struct {
	sf        *surface.Surface
	remaining map[int]int
	start     time.Time
	log       Logf
}

func newLevelWatch(sf *surface.Surface, log Logf) *levelWatch {
	w := &levelWatch{sf: sf, remaining: map[int]int{}, start: time.Now(), log: log}
	for k, c := range sf.Computed {
		if !c {
			w.add(sf.LevelOf(k), 1)
		}
	}
	return w
}

// add adds d to the count of every level that a point of coarsest level lv belongs to (lv and
// every finer level).
func (w *levelWatch) add(lv, d int) {
	for s := lv; s >= 1; s /= 2 {
		w.remaining[s] += d
	}
}

// done records that point k is computed, and logs a level (other than the whole grid) that it
// completes.
func (w *levelWatch) done(k int) {
	lv := w.sf.LevelOf(k)
	w.add(lv, -1)
	for s := lv; s > 1; s /= 2 {
		if w.remaining[s] == 0 {
			w.log("level %s of %s complete after %v", w.sf.Level(s).Shape(), w.sf.Shape(), time.Since(w.start).Round(time.Millisecond))
		}
	}
}
