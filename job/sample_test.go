package job

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"landscape/surface"
)

// TestToleranceResumeEqualsUninterrupted computes a tolerance scan in one go and in two runs
// (half the points, then the rest by resuming the file): every array must be equal, and the
// points must be estimates from part of the data meeting the tolerance.
func TestToleranceResumeEqualsUninterrupted(t *testing.T) {
	spec, _ := fixtureN(t, 3, 3, 1500)
	spec.Tolerance, spec.SampleSeed, spec.Batch, spec.Workers = 0.01, 5, 100, 2
	whole := runScan(t, spec)

	spec2, _ := fixtureN(t, 3, 3, 1500)
	spec2.Tolerance, spec2.SampleSeed, spec2.Batch, spec2.Workers = spec.Tolerance, spec.SampleSeed, spec.Batch, 1
	spec2.Select = func(k int) bool { return k%2 == 0 }
	if part := runScan(t, spec2); computed(part) != 5 {
		t.Fatalf("first run computed %d points, want 5", computed(part))
	}
	spec2.Select = nil
	resumed := runScan(t, spec2)

	se, im := whole.Extra[surface.StdErrKey("test")], whole.Extra[surface.ImagesKey("test")]
	if se == nil || im == nil {
		t.Fatalf("the tolerance file lacks %s or %s (has %v)", surface.StdErrKey("test"), surface.ImagesKey("test"), slices.Collect(maps.Keys(whole.Extra)))
	}
	sampled := 0
	for k := range whole.Len() {
		if im[k] < 1500 {
			sampled++
			if !(se[k] <= spec.Tolerance*whole.Loss[k]) {
				t.Errorf("point %d: ±%v after %v images is above %v × %v", k, se[k], im[k], spec.Tolerance, whole.Loss[k])
			}
		}
	}
	if sampled == 0 {
		t.Fatalf("every point used all 1500 images (images %v): the test shows nothing", im)
	}
	for k := range whole.Len() {
		if whole.Loss[k] != resumed.Loss[k] || whole.Acc[k] != resumed.Acc[k] {
			t.Errorf("point %d: resumed %v/%v, uninterrupted %v/%v", k, resumed.Loss[k], resumed.Acc[k], whole.Loss[k], whole.Acc[k])
		}
		for key, v := range whole.Extra {
			if r := resumed.Extra[key]; r == nil || math.Float64bits(r[k]) != math.Float64bits(v[k]) {
				t.Errorf("point %d: %s resumed %v, uninterrupted %v", k, key, r, v[k])
			}
		}
	}
}

// TestExactAndToleranceFilesRefuseEachOther: an exact file is never completed with estimates,
// nor a tolerance file with exact points, nor one tolerance file with another's.
func TestExactAndToleranceFilesRefuseEachOther(t *testing.T) {
	for _, c := range []struct{ file, now float64 }{{0, 0.02}, {0.02, 0}, {0.02, 0.05}} {
		spec, _ := fixtureN(t, 2, 0, 16)
		spec.Tolerance = c.file
		sc, err := PrepareScan(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Surface.Save(spec.Out); err != nil { // an empty file of these settings
			t.Fatal(err)
		}
		spec.Tolerance = c.now
		if _, err := PrepareScan(spec); err == nil || !strings.Contains(err.Error(), "tolerance") {
			t.Errorf("file of tolerance %v resumed by a run of tolerance %v: %v", c.file, c.now, err)
		}
	}
	spec, _ := fixtureN(t, 2, 0, 16)
	spec.Tolerance, spec.SampleSeed = 0.02, 1
	runScan(t, spec)
	spec.SampleSeed = 2
	if _, err := PrepareScan(spec); err == nil || !strings.Contains(err.Error(), "sample_seed") {
		t.Errorf("a tolerance file resumed with another sample seed: %v", err)
	}
}

// TestScanOrder: by default the points to compute come coarse to fine, a shard's in the same
// order; --order rows keeps row-major order.
func TestScanOrder(t *testing.T) {
	sf := surface.New(surface.Axis{Min: -1, Max: 1, Num: 9}, surface.Axis{Min: -1, Max: 1, Num: 5}, "train", surface.Settings{})
	sf.Set(sf.CoarseToFine()[0], 1, 1)
	spec := ScanSpec{}
	got := spec.todo(sf)
	if want := sf.CoarseToFine()[1:]; !slices.Equal(got, want) {
		t.Errorf("coarse order %v, want %v", got, want)
	}
	if err := spec.UseShard("1/3", 0, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	got = spec.todo(sf)
	want := slices.DeleteFunc(sf.CoarseToFine()[1:], func(k int) bool { return k%3 != 1 })
	if !slices.Equal(got, want) {
		t.Errorf("shard 1/3 order %v, want %v", got, want)
	}
	spec = ScanSpec{Order: "rows"}
	if got, want := spec.todo(sf), sf.Missing(); !slices.Equal(got, want) {
		t.Errorf("rows order %v, want %v", got, want)
	}
}

// TestLevelsLogged: a coarse-to-fine scan says when each coarser level is complete, once each.
func TestLevelsLogged(t *testing.T) {
	spec, l := fixture(t, 9, 9)
	runScan(t, spec)
	for _, want := range []string{"level 3×3 of 9×9 complete", "level 5×5 of 9×9 complete"} {
		n := 0
		for _, line := range l.lines {
			if strings.Contains(line, want) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q logged %d times, want once: %q", want, n, l.lines)
		}
	}
	if l.has("of 9×9 complete") && l.has("level 9×9") {
		t.Errorf("the whole grid logged as a level: %q", l.lines)
	}
}

// TestOrderAndToleranceFlagsChecked: bad --order and --tolerance values are refused by name.
func TestOrderAndToleranceFlagsChecked(t *testing.T) {
	for _, c := range []struct {
		order string
		tol   float64
		want  string
	}{{"diagonal", 0, "--order"}, {"", -0.1, "--tolerance"}, {"rows", 1, "--tolerance"}, {"", math.NaN(), "--tolerance"}} {
		spec, _ := fixture(t, 2, 0)
		spec.Order, spec.Tolerance = c.order, c.tol
		if _, err := PrepareScan(spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--order %q --tolerance %v: %v, want an error naming %s", c.order, c.tol, err, c.want)
		}
	}
}

// TestToleranceOnGPUDevice: a tolerance scan with --device gpu or auto runs on the GPU engines
// (here the GPU seam with a CPU engine behind it, which returns Σ ℓ² as the GPU engine does)
// instead of being refused, and gives the CPU scan's estimates, errors and images.
func TestToleranceOnGPUDevice(t *testing.T) {
	tolerance := func(device Device) *surface.Surface {
		spec, _ := fixtureN(t, 3, 2, 1200)
		spec.Tolerance, spec.SampleSeed, spec.Batch, spec.Device = 0.01, 2, 100, device
		return runScan(t, spec)
	}
	want := tolerance(Device{Device: "cpu", Precision: "fp32"})
	auto := slowGPU(0, false)
	auto.Device = "auto"
	for _, d := range []Device{slowGPU(0, false), auto} {
		got := tolerance(d)
		if got.Settings.Engine != "gpu" {
			t.Errorf("--device %s: the file says engine %q, want gpu", d.Device, got.Settings.Engine)
		}
		sampled := false
		for k := range want.Len() {
			sampled = sampled || want.Extra[surface.ImagesKey("test")][k] < 1200
			for key, w := range want.Extra {
				if g := got.Extra[key]; g == nil || g[k] != w[k] {
					t.Errorf("--device %s point %d: %s %v, CPU %v", d.Device, k, key, g, w[k])
				}
			}
			if got.Loss[k] != want.Loss[k] || got.Acc[k] != want.Acc[k] {
				t.Errorf("--device %s point %d: %v/%v, CPU %v/%v", d.Device, k, got.Loss[k], got.Acc[k], want.Loss[k], want.Acc[k])
			}
		}
		if !sampled {
			t.Fatal("every point used all 1200 images: the test shows nothing")
		}
	}
}

// TestToleranceShardsMergeToTheWholeScan: the shards of a tolerance scan, each computing its
// points in the same coarse-to-fine order, merge to exactly the unsharded tolerance scan
// (estimates, standard errors and images used); a merge of a tolerance shard with an exact
// one is refused, naming the tolerance.
func TestToleranceShardsMergeToTheWholeScan(t *testing.T) {
	spec, _ := fixtureN(t, 3, 3, 1500)
	spec.Tolerance, spec.SampleSeed, spec.Batch, spec.Workers = 0.01, 5, 100, 2
	whole := runScan(t, spec)
	var parts []Part
	for i := range 2 {
		sh := spec
		sh.Out = filepath.Join(filepath.Dir(spec.Out), fmt.Sprintf("shard%d.npz", i))
		if err := sh.UseShard(fmt.Sprintf("%d/2", i), 0, func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, Part{Name: sh.Out, S: runScan(t, sh)})
	}
	got, rep, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() {
		t.Fatalf("merged shards miss points %v", rep.Missing)
	}
	if got.Extra[surface.ImagesKey("test")] == nil || !slices.ContainsFunc(got.Extra[surface.ImagesKey("test")], func(n float64) bool { return n < 1500 }) {
		t.Fatalf("merged images used %v: no point was estimated from a sample", got.Extra[surface.ImagesKey("test")])
	}
	sameSurface(t, got, whole)

	exact := spec
	exact.Tolerance, exact.SampleSeed = 0, 0
	if err := exact.UseShard("1/2", 0, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	exact.Out = filepath.Join(filepath.Dir(spec.Out), "exact.npz")
	_, _, err = Merge([]Part{parts[0], {Name: exact.Out, S: runScan(t, exact)}})
	if err == nil || !strings.Contains(err.Error(), "tolerance") {
		t.Errorf("a tolerance shard merged with an exact one: %v", err)
	}
}

// TestToleranceInterruptedThenResumed stops a tolerance scan in the middle (its context ended
// while points are part-way through their batches) and resumes it: the file must equal an
// uninterrupted scan's, every array bit for bit; points caught mid-estimate are recomputed
// from their first batch, never finished from a partial tally.
func TestToleranceInterruptedThenResumed(t *testing.T) {
	spec, _ := fixtureN(t, 6, 5, 1200)
	spec.Tolerance, spec.SampleSeed, spec.Batch, spec.Workers = 0.01, 3, 100, 2
	want := runScan(t, spec)
	os.Remove(spec.Out)

	slowSpec := spec
	slowSpec.Device = slowGPU(10*time.Millisecond, false)
	sc, err := PrepareScan(slowSpec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, nil) }()
	n := waitPartial(t, spec.Out, done)
	cancel()
	<-done
	part, err := surface.Load(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	if c := computed(part); c < n || c == part.Len() {
		t.Fatalf("after the interruption %d of %d points are saved (%d seen before)", c, part.Len(), n)
	}
	slowSpec.Device = slowGPU(0, false) // resumed on the same (seam) device
	got := runScan(t, slowSpec)
	if !slices.ContainsFunc(got.Extra[surface.ImagesKey("test")], func(n float64) bool { return n < 1200 }) {
		t.Fatal("every point used all 1200 images: the test shows nothing")
	}
	got.Settings.Engine = want.Settings.Engine // "gpu": the seam, a CPU engine behind it
	sameSurface(t, got, want)
}
