package job

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"landscape/hessian"
	"landscape/surface"
)

// eigenFixture is an eigenvalue map over fixture's grid: resnet8, 16 images of 8x8, a few
// Lanczos steps per point.
func eigenFixture(t *testing.T, nx int) (EigenMapSpec, *logs) {
	t.Helper()
	s, l := fixture(t, nx, 0)
	return EigenMapSpec{ScanSpec: s, Device: "cpu", Chunk: 16, Lanczos: hessian.Options{Tol: 1e-3, MaxSteps: 8, Seed: 1}}, l
}

func startEigenMap(t *testing.T, spec EigenMapSpec, progress func()) <-chan error {
	t.Helper()
	m, err := PrepareEigenMap(spec)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), progress) }()
	return done
}

// The output folder of an eigenvalue map disappears for a second mid-run: the writes fail, are
// retried through the scans' saver, and the map ends with every point saved, equal to an
// undisturbed map's. (The progress callback sleeps so that the map outlasts the disturbance.)
func TestEigenMapOutputFolderGoneForASecond(t *testing.T) {
	spec, l := eigenFixture(t, 12)
	if err := <-startEigenMap(t, spec, nil); err != nil {
		t.Fatal(err)
	}
	want, err := surface.Load(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(spec.Out)
	var points atomic.Int32
	done := startEigenMap(t, spec, func() { points.Add(1); time.Sleep(150 * time.Millisecond) })
	waitPartial(t, spec.Out, done)
	folder := filepath.Dir(spec.Out)
	if err := os.Rename(folder, folder+".away"); err != nil {
		t.Fatal(err)
	}
	// Away for a second, and at least until a point is computed meanwhile (or all are), so that
	// a write is due while the folder is gone however slow the machine.
	for n0 := points.Load(); points.Load() == n0 && int(n0) < want.Len(); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if err := os.Rename(folder+".away", folder); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !l.has("cannot write") || !l.has("written again") {
		t.Errorf("no failed write was logged, or no recovery: %q", l.lines)
	}
	got, err := surface.Load(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Missing()) != 0 {
		t.Fatalf("%d points missing", len(got.Missing()))
	}
	for _, key := range []string{surface.MaxEigKey, surface.MinEigKey} {
		g, w := got.Extra[key], want.Extra[key]
		for k := range want.Len() {
			if math.IsNaN(g[k]) || g[k] != w[k] || got.Loss[k] != want.Loss[k] {
				t.Errorf("%s, point %d: %v (loss %v), undisturbed %v (loss %v)", key, k, g[k], got.Loss[k], w[k], want.Loss[k])
			}
		}
	}
}

// An output folder that stays gone stops the map after Patience with a rescue file that holds
// the points computed and resumes to the whole map.
func TestEigenMapRescueFile(t *testing.T) {
	spec, _ := eigenFixture(t, 12)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spec.Patience = 300 * time.Millisecond
	done := startEigenMap(t, spec, func() { time.Sleep(100 * time.Millisecond) })
	seen := waitPartial(t, spec.Out, done)
	folder := filepath.Dir(spec.Out)
	if err := os.Rename(folder, folder+".away"); err != nil {
		t.Fatal(err)
	}
	err := <-done
	rescues, _ := filepath.Glob(filepath.Join(tmp, "s.rescue-*.npz"))
	if err == nil || len(rescues) != 1 {
		t.Fatalf("error %v, rescue files %v", err, rescues)
	}
	s, err := surface.Load(rescues[0])
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range s.Extra[surface.MaxEigKey] {
		if !math.IsNaN(x) {
			n++
		}
	}
	if n < seen || n != computed(s) || n == s.Len() {
		t.Errorf("rescue file: %d eigenvalues, %d losses of %d points; %d were saved before the folder went", n, computed(s), s.Len(), seen)
	}
	os.Rename(folder+".away", folder)
	if err := os.Rename(rescues[0], spec.Out); err != nil {
		t.Fatal(err)
	}
	spec.Patience = 0
	m, err := PrepareEigenMap(spec)
	if err != nil {
		t.Fatal(err)
	}
	if m.Resumed != n {
		t.Errorf("resumed %d points, the rescue file holds %d", m.Resumed, n)
	}
	if err := m.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := surface.Load(spec.Out); got == nil || len(got.Missing()) != 0 {
		t.Errorf("resumed rescue file not complete")
	}
}
