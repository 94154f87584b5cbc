package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"landscape/surface"
)

// A failed write keeps the surface marked as changed, so the next flush writes it without a
// new point arriving, and the success clears the error.
func TestSaverRetriesAFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	sf := surface.New(surface.Axis{Min: 0, Max: 1, Num: 3}, surface.Axis{}, "test", surface.Settings{Model: "m"})
	l := &logs{}
	sv := newSaver(sf, filepath.Join(dir, "s.npz"), time.Hour, l.log)
	sv.set(1, 2.5, 50)
	if err := sv.flush(); err == nil || !strings.Contains(err.Error(), "s.npz") {
		t.Fatalf("write into a missing folder: %v", err)
	}
	if err := sv.flush(); err == nil {
		t.Fatal("the failed write was not retried")
	}
	if !l.has("cannot write") || len(l.lines) != 1 {
		t.Errorf("messages %q: want the failure said once", l.lines)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sv.flush(); err != nil {
		t.Fatalf("after the folder came back: %v", err)
	}
	if sv.stalled() || !l.has("written again") {
		t.Errorf("the success did not clear the failure: %q", l.lines)
	}
	got, err := surface.Load(filepath.Join(dir, "s.npz"))
	if err != nil || !got.Computed[1] || got.Loss[1] != 2.5 {
		t.Fatalf("file after the retry: %v", err)
	}
	if err := sv.flush(); err != nil { // nothing new: no write
		t.Fatal(err)
	}
}

// finish retries until patience runs out, then writes the rescue file next to the output when
// the folder is there but the file cannot be replaced.
func TestSaverRescueNextToOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "s.npz")
	if err := os.Mkdir(out, 0o755); err != nil { // a folder where the file should go: rename fails
		t.Fatal(err)
	}
	sf := surface.New(surface.Axis{Min: 0, Max: 1, Num: 3}, surface.Axis{}, "test", surface.Settings{Model: "m"})
	sv := newSaver(sf, out, 50*time.Millisecond, nil)
	sv.log = Logf(nil).orDiscard()
	sv.set(2, 1.5, 10)
	err := sv.finish(false, 10*time.Millisecond)
	rescues, _ := filepath.Glob(filepath.Join(dir, "s.rescue-*.npz"))
	if err == nil || len(rescues) != 1 || !strings.Contains(err.Error(), rescues[0]) {
		t.Fatalf("error %v, rescue files %v", err, rescues)
	}
	got, lerr := surface.Load(rescues[0])
	if lerr != nil || !got.Computed[2] || got.Loss[2] != 1.5 {
		t.Fatalf("rescue file: %v", lerr)
	}
}

// set records point k's loss and accuracy through update (the tests' shorthand).
func (s *saver) set(k int, loss, acc float64) {
	s.update(func(sf *surface.Surface) { sf.Set(k, loss, acc) })
}
