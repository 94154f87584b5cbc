package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"landscape/model"
	"landscape/surface"
)

// saver keeps a surface file up to date without ever losing a point: points are recorded under
// a lock held only briefly; the file is encoded and replaced atomically at most every interval
// and once more at the end, one write at a time. A failed write keeps the surface marked as
// changed, so the next flush writes it again, and the error is reported until a write
// succeeds. When writes have failed for longer than patience, the scan is stopped and what it
// has goes to a rescue file.
type saver struct {
	mu           sync.Mutex // guards everything below but write
	sf           *surface.Surface
	version      int // bumped at every change
	saved        int // the version last written
	err          error
	failingSince time.Time
	write        sync.Mutex // one encode-and-write at a time
	path         string
	patience     time.Duration
	log          Logf
}

func newSaver(sf *surface.Surface, path string, patience time.Duration, log Logf) *saver {
	return &saver{sf: sf, path: path, patience: patience, log: log}
}

// update applies change to the surface (e.g. a point and its extra arrays) under the lock and
// marks the surface changed.
func (s *saver) update(change func(sf *surface.Surface)) {
	s.mu.Lock()
	change(s.sf)
	s.version++
	s.mu.Unlock()
}

// setEngine records the engine kind of the surface's points.
func (s *saver) setEngine(kind string) {
	s.mu.Lock()
	s.sf.Settings.Engine = kind
	s.version++
	s.mu.Unlock()
}

// flush writes the surface if it changed since the last successful write and returns the
// write's error (nil when there was nothing to write).
func (s *saver) flush() error {
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	if s.version == s.saved {
		s.mu.Unlock()
		return nil
	}
	v := s.version
	b, err := s.sf.Encode()
	s.mu.Unlock()
	if err == nil {
		err = model.WriteFileAtomic(s.path, b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.failingSince = time.Now()
			s.log("cannot write %s (%v); the points are kept and the write is retried", s.path, err)
		}
		s.err = fmt.Errorf("%s: %w", s.path, err)
		return s.err
	}
	if s.err != nil {
		s.log("%s written again after %v of failed writes", s.path, time.Since(s.failingSince).Round(time.Millisecond))
	}
	s.err, s.saved = nil, v
	return nil
}

// stalled reports whether writes have been failing for longer than patience.
func (s *saver) stalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil && time.Since(s.failingSince) >= s.patience
}

// every flushes every interval until the returned stop is called, and calls onStall once when
// writes have failed for longer than patience.
func (s *saver) every(interval time.Duration, onStall func()) (stop func()) {
	t := time.NewTicker(interval)
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		stalled := false
		for {
			select {
			case <-t.C:
				s.flush()
				if !stalled && s.stalled() {
					stalled = true
					onStall()
				}
			case <-quit:
				return
			}
		}
	}()
	return func() {
		t.Stop()
		close(quit)
		<-finished
	}
}

// errUnwritable stops a scan whose output has not been writable for too long.
var errUnwritable = errors.New("the output could not be written")

// finish writes the final state, retrying every retry while the writes fail and the failure
// is younger than patience (one try when hurry). If the output still cannot be written, it
// writes a rescue file and returns an error naming it.
func (s *saver) finish(hurry bool, retry time.Duration) error {
	for {
		err := s.flush()
		if err == nil {
			return nil
		}
		if hurry || s.stalled() {
			break
		}
		time.Sleep(retry)
	}
	s.mu.Lock()
	last, since := s.err, time.Since(s.failingSince).Round(time.Second)
	n := s.sf.Len() - len(s.sf.Missing())
	s.mu.Unlock()
	path, rerr := s.rescue()
	if rerr != nil {
		return fmt.Errorf("%w for %v (%v), and no rescue file could be written either (%v): the %d points computed are lost", errUnwritable, since, last, rerr, n)
	}
	return fmt.Errorf("%w for %v (%v); the %d points computed are saved in %s: move it to %s and run the same command again to resume",
		errUnwritable, since, last, n, path, s.path)
}

// rescue writes the surface to a new file next to the output, or else in the temp folder,
// and returns its path.
func (s *saver) rescue() (string, error) {
	s.mu.Lock()
	b, err := s.sf.Encode()
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(filepath.Base(s.path), ".npz") + ".rescue-*.npz"
	var errs []error
	for _, dir := range []string{filepath.Dir(s.path), os.TempDir()} {
		f, err := os.CreateTemp(dir, base)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = f.Write(b)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			return f.Name(), nil
		}
		os.Remove(f.Name())
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// keepSaved runs compute with a saver of sf at spec.Out: the file is replaced every
// spec.SaveEvery while compute runs, compute's context is cancelled once the writes have failed
// for longer than spec.Patience, and the final state is written at the end (or, failing that,
// rescued; see finish). A saving failure is returned before compute's own error.
func keepSaved(ctx context.Context, sf *surface.Surface, spec ScanSpec, compute func(ctx context.Context, sv *saver) error) error {
	sv := newSaver(sf, spec.Out, spec.Patience, spec.Log)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := sv.every(spec.SaveEvery, func() { cancel(errUnwritable) })
	runErr := compute(runCtx, sv)
	stop()
	if err := sv.finish(ctx.Err() != nil, min(spec.SaveEvery, 200*time.Millisecond)); err != nil {
		return fmt.Errorf("--out %s: %w", spec.Out, err)
	}
	if errors.Is(context.Cause(runCtx), errUnwritable) && ctx.Err() == nil {
		return fmt.Errorf("--out %s: the run stopped because the file could not be written for %v; it is written now with every point computed: run the same command again to go on", spec.Out, spec.Patience)
	}
	return runErr
}
