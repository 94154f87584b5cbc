package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/cpuinfo"
	"landscape/internal/testinput"
	"landscape/model"
	"landscape/surface"
)

// fixture writes 16 random 8x8 MNIST-format test images and resnet8 weights, and returns a
// CPU scan spec of a 2D grid over them writing dir/out/s.npz.
func fixture(t *testing.T, nx, ny int) (ScanSpec, *logs) {
	t.Helper()
	return fixtureN(t, nx, ny, 16)
}

// fixtureN is fixture with n images.
func fixtureN(t *testing.T, nx, ny, n int) (ScanSpec, *logs) {
	t.Helper()
	dir := t.TempDir()
	const hw = 8
	images := testinput.IDX(t, dir, n, hw, 1, 2)
	w := filepath.Join(dir, "w.safetensors")
	testinput.Weights(t, w, "resnet8", model.Config{InC: 1, HW: hw, Classes: 10}, 1)
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &logs{}
	spec := ScanSpec{Model: "resnet8", Weights: w, Input: Input{Data: images, Options: data.Options{Split: "test"}}, X: fmt.Sprintf("-1:1:%d", nx),
		Norm: "filter", Ignore: "biasbn", DirType: "weights", Seed: 3, Out: filepath.Join(dir, "out", "s.npz"),
		Device: Device{Device: "cpu", Precision: "fp32"}, Workers: 1, Batch: 16, SaveEvery: 20 * time.Millisecond, Log: l.log}
	if ny > 0 {
		spec.Y = fmt.Sprintf("-1:1:%d", ny)
	}
	return spec, l
}

// logs collects a job's messages.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) log(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.lines, func(x string) bool { return strings.Contains(x, s) })
}

func runScan(t *testing.T, spec ScanSpec) *surface.Surface {
	t.Helper()
	sc, err := PrepareScan(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	s, err := surface.Load(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	if k := cpu.PlanKernelName(sc.Problem.Plan, spec.Device.CPUOptions()); s.Settings.CPUKernel != k || s.Settings.CPU != cpuinfo.Model() {
		t.Errorf("settings name CPU kernel %q on %q, want %q on %q", s.Settings.CPUKernel, s.Settings.CPU, k, cpuinfo.Model())
	}
	return s
}

// slowGPU is Device "gpu" whose GPU engines are one CPU engine that sleeps before every call
// (the GPU engine seam, so that a scan runs long enough to disturb it), or one that always fails.
func slowGPU(delay time.Duration, fail bool) Device {
	return Device{Device: "gpu", Precision: "fp32", GPU: func(_ context.Context, p *engine.Problem, _ Device, _ Logf) ([]engine.Engine, error) {
		e, err := cpu.New(p)
		return []engine.Engine{&slow{Engine: e, delay: delay, fail: fail}}, err
	}}
}

type slow struct {
	engine.Engine
	delay time.Duration
	fail  bool
}

func (s *slow) Name() string { return "gpu0 (test)" }

// SumsSquares passes the CPU engine's engine.Squares through, as the GPU engine has it too.
func (s *slow) SumsSquares() bool { return engine.SumsSquares(s.Engine) }
func (s *slow) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	time.Sleep(s.delay)
	if s.fail {
		return nil, errors.New("simulated GPU fault")
	}
	return s.Engine.Evaluate(ctx, pts, lo, hi)
}

func computed(s *surface.Surface) int { return s.Len() - len(s.Missing()) }

// waitPartial waits until the output holds some points but not all, and returns how many.
func waitPartial(t *testing.T, path string, done <-chan error) int {
	t.Helper()
	for {
		select {
		case err := <-done:
			t.Fatalf("the scan ended (%v) before a partial file was seen", err)
		default:
		}
		if s, err := surface.Load(path); err == nil && computed(s) > 0 {
			if computed(s) == s.Len() {
				t.Fatal("the scan finished before a partial file was seen")
			}
			return computed(s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startScan(t *testing.T, spec ScanSpec) <-chan error {
	t.Helper()
	sc, err := PrepareScan(spec)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sc.Run(context.Background(), nil) }()
	return done
}

// The output folder disappears for a second in the middle of a scan: the writes fail, are
// retried, and the scan ends with every point saved, the same as an undisturbed scan's.
func TestOutputFolderGoneForASecond(t *testing.T) {
	spec, l := fixture(t, 20, 6)
	want := runScan(t, spec)
	os.Remove(spec.Out)
	spec.Device = slowGPU(25*time.Millisecond, false)
	done := startScan(t, spec)
	waitPartial(t, spec.Out, done)
	folder := filepath.Dir(spec.Out)
	if err := os.Rename(folder, folder+".away"); err != nil {
		t.Fatal(err)
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
	for k := range want.Len() {
		if got.Loss[k] != want.Loss[k] || got.Acc[k] != want.Acc[k] {
			t.Errorf("point %d: %v %v, undisturbed %v %v", k, got.Loss[k], got.Acc[k], want.Loss[k], want.Acc[k])
		}
	}
}

// The output folder disappears for good: after Patience the scan stops and writes what it has
// to a rescue file in the temp folder, whose path the error names.
func TestRescueFileWhenOutputStaysUnwritable(t *testing.T) {
	spec, l := fixture(t, 20, 6)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spec.Device, spec.Patience = slowGPU(25*time.Millisecond, false), 300*time.Millisecond
	done := startScan(t, spec)
	seen := waitPartial(t, spec.Out, done)
	folder := filepath.Dir(spec.Out)
	if err := os.Rename(folder, folder+".away"); err != nil {
		t.Fatal(err)
	}
	err := <-done
	rescues, _ := filepath.Glob(filepath.Join(tmp, "s.rescue-*.npz"))
	if err == nil || len(rescues) != 1 || !strings.Contains(err.Error(), rescues[0]) || !strings.Contains(err.Error(), spec.Out) {
		t.Fatalf("error %v, rescue files %v", err, rescues)
	}
	s, lerr := surface.Load(rescues[0])
	if lerr != nil {
		t.Fatal(lerr)
	}
	if n := computed(s); n < seen || n == s.Len() {
		t.Errorf("rescue file holds %d points of %d; %d were saved before the folder went", n, s.Len(), seen)
	}
	if !l.has("cannot write") {
		t.Errorf("the failing writes were not logged: %q", l.lines)
	}
	// Moved into place, it resumes to the full scan.
	os.Rename(folder+".away", folder)
	if err := os.Rename(rescues[0], spec.Out); err != nil {
		t.Fatal(err)
	}
	spec.Patience = 0
	if got := runScan(t, spec); len(got.Missing()) != 0 {
		t.Errorf("resumed rescue file misses %d points", len(got.Missing()))
	}
}

// An fp32 GPU scan whose engines all fail goes on on the CPU, and the file says so; a file
// of CPU points is not resumed on the GPU.
func TestEngineKindRecordedAndChecked(t *testing.T) {
	spec, _ := fixture(t, 3, 2)
	spec.Device = slowGPU(0, true)
	s := runScan(t, spec)
	if s.Settings.Engine != "cpu+gpu" || len(s.Missing()) != 0 {
		t.Errorf("engine %q after the fallback, %d missing", s.Settings.Engine, len(s.Missing()))
	}
	spec2, _ := fixture(t, 3, 2)
	cpuOnly := runScan(t, spec2)
	if cpuOnly.Settings.Engine != "cpu" {
		t.Errorf("engine %q", cpuOnly.Settings.Engine)
	}
	// drop one point, then resume on the "GPU"
	cpuOnly.Computed[2], cpuOnly.Loss[2] = false, math.NaN()
	if err := cpuOnly.Save(spec2.Out); err != nil {
		t.Fatal(err)
	}
	spec2.Device = slowGPU(0, false)
	sc, err := PrepareScan(spec2)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "engine: its points were computed on cpu, this run computes on gpu") {
		t.Errorf("resume on another engine: %v", err)
	}
}

// A half-done format-1 file resumes, and ends as the format-2 file of an uninterrupted scan.
func TestFormat1FileResumes(t *testing.T) {
	spec, _ := fixture(t, 5, 3)
	want := runScan(t, spec)
	wantBytes, _ := os.ReadFile(spec.Out)
	half := *want
	half.Loss, half.Acc, half.Computed = slices.Clone(want.Loss), slices.Clone(want.Acc), slices.Clone(want.Computed)
	for k := range half.Len() {
		if k%2 == 1 {
			half.Loss[k], half.Acc[k], half.Computed[k] = math.NaN(), math.NaN(), false
		}
	}
	if err := half.SaveFormat1(spec.Out); err != nil {
		t.Fatal(err)
	}
	sc, err := PrepareScan(spec)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Resumed != 8 || len(sc.Todo) != 7 {
		t.Fatalf("resumed %d, todo %d", sc.Resumed, len(sc.Todo))
	}
	if err := sc.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(spec.Out)
	if string(got) != string(wantBytes) {
		t.Error("the resumed format-1 file differs from the uninterrupted scan's file")
	}
}

// Select computes only the chosen points; Shard is recorded.
func TestSelectAndShard(t *testing.T) {
	spec, _ := fixture(t, 4, 3)
	full := runScan(t, spec)
	spec2, _ := fixture(t, 4, 3)
	spec2.Select = func(k int) bool { return k%3 == 1 }
	spec2.Shard = "1/3"
	part := runScan(t, spec2)
	if part.Settings.Shard != "1/3" {
		t.Errorf("shard %q", part.Settings.Shard)
	}
	for k := range part.Len() {
		if part.Computed[k] != (k%3 == 1) {
			t.Errorf("point %d computed %v", k, part.Computed[k])
		}
		if part.Computed[k] && part.Loss[k] != full.Loss[k] {
			t.Errorf("point %d: %v, full scan %v", k, part.Loss[k], full.Loss[k])
		}
	}
}

// --save-dirs records the normalisation; --dirs uses the file's directions as saved (weight
// normalisation applied twice would square the weights) and says so. A file without a
// recorded normalisation is normalised as --norm says.
func TestDirsFileUsedAsSaved(t *testing.T) {
	spec, _ := fixture(t, 3, 2)
	spec.Norm = "weight"
	dirs := filepath.Join(filepath.Dir(spec.Out), "d.safetensors")
	spec.SaveDirs = dirs
	want := runScan(t, spec)
	f, err := direction.Read(dirs, mustNet(t), "weights", true)
	if err != nil || f.Normalized == nil || f.Normalized.Norm != "weight" {
		t.Fatalf("saved directions: %v, %+v", err, f)
	}
	spec2, l := fixture(t, 3, 2)
	spec2.Weights, spec2.Data = spec.Weights, spec.Data
	spec2.Dirs, spec2.Norm = dirs, "filter" // --norm is not applied to saved directions
	got := runScan(t, spec2)
	for k := range want.Len() {
		if got.Loss[k] != want.Loss[k] {
			t.Errorf("point %d: %v from the saved directions, %v from the draw", k, got.Loss[k], want.Loss[k])
		}
	}
	if !l.has("not normalising again") || got.Settings.Norm != "weight" {
		t.Errorf("no message, or settings norm %q: %q", got.Settings.Norm, l.lines)
	}
	// raw directions (no metadata) are normalised
	raw := filepath.Join(filepath.Dir(spec.Out), "raw.safetensors")
	rw := model.NewWeights()
	for i, d := range []*model.Weights{direction.Random(mustNet(t), "weights", 3, 0), direction.Random(mustNet(t), "weights", 3, 1)} {
		for _, name := range d.Names {
			c := d.Tensors[name].Clone()
			c.Name = []string{"x.", "y."}[i] + name
			rw.Add(c)
		}
	}
	if err := model.WriteSafetensors(raw, rw, nil); err != nil {
		t.Fatal(err)
	}
	spec3, l3 := fixture(t, 3, 2)
	spec3.Weights, spec3.Data, spec3.Dirs, spec3.Norm = spec.Weights, spec.Data, raw, "weight"
	got3 := runScan(t, spec3)
	for k := range want.Len() {
		if got3.Loss[k] != want.Loss[k] {
			t.Errorf("point %d: %v from raw directions normalised, %v from the draw", k, got3.Loss[k], want.Loss[k])
		}
	}
	if !l3.has("records no normalisation") {
		t.Errorf("no message for raw directions: %q", l3.lines)
	}
}

func mustNet(t *testing.T) *model.Net {
	n, err := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRise(t *testing.T) {
	// loss = 1 + x² + 3y² + x/2 on a non-square grid: rise at r = (2r² + 6r²)/4 = 2r²
	x, y := surface.Axis{Min: -1, Max: 1, Num: 5}, surface.Axis{Min: -2, Max: 2, Num: 9}
	s := surface.New(x, y, "train", surface.Settings{})
	for k := range s.Len() {
		a, b := s.Coord(k)
		s.Set(k, 1+a*a+3*b*b+a/2, 0)
	}
	l0, rise, n, err := Rise(s, 0.5)
	if err != nil || l0 != 1 || n != 4 || math.Abs(rise-0.5) > 1e-12 {
		t.Errorf("2D: origin %v rise %v (%d points, %v), want 1, 0.5", l0, rise, n, err)
	}
	// between grid points (x and y steps 0.5), linear interpolation: at ±0.25, x² → 0.25/2
	// (the x/2 terms cancel), 3y² → 0.75/2
	_, rise, _, _ = Rise(s, 0.25)
	if want := (2*0.125 + 2*0.375) / 4; math.Abs(rise-want) > 1e-12 {
		t.Errorf("interpolated rise %v, want %v", rise, want)
	}
	one := surface.New(x, surface.Axis{}, "test", surface.Settings{})
	for k := range one.Len() {
		a, _ := one.Coord(k)
		one.Set(k, 2+a*a, 0)
	}
	if _, rise, n, _ := Rise(one, 1); rise != 1 || n != 2 {
		t.Errorf("1D rise %v over %d", rise, n)
	}
	if _, _, _, err := Rise(one, 3); err == nil {
		t.Error("no error outside the grid")
	}
}
