package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"landscape/cpu"
	"landscape/cpu/gemm"
	"landscape/model"
	"landscape/surface"
)

// smallScan is a resnet8 scan on 16 random 8x8 MNIST-format images.
func smallScan(t *testing.T) (dir string, args []string) {
	dir = t.TempDir()
	spec := writeIDX(t, dir, 16, 8)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 1)
	return dir, []string{"scan", "--model", "resnet8", "--weights", w, "--data", spec, "--split", "test",
		"--x", "-1:1:5", "--y", "-1:1:4", "--batch-size", "5"}
}

func TestScanWritesSurfaceAndResumes(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "s.npz")
	mustRun(t, append(args, "--out", out)...)
	sf, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if sf.Len() != 20 || len(sf.Missing()) != 0 || len(sf.X) != 5 || len(sf.Y) != 4 {
		t.Fatalf("surface %d points, %d missing", sf.Len(), len(sf.Missing()))
	}
	for k := range sf.Len() {
		if math.IsNaN(sf.Loss[k]) || sf.Acc[k] < 0 || sf.Acc[k] > 100 {
			t.Errorf("point %d: loss %v acc %v", k, sf.Loss[k], sf.Acc[k])
		}
	}
	before, _ := os.ReadFile(out)
	msg := mustRun(t, append(args, "--out", out)...)
	if !strings.Contains(msg, "already computed") {
		t.Errorf("re-run of a finished scan says %q", msg)
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Error("re-running a finished scan changed the file")
	}
}

// Killing a scan with SIGKILL in the middle and re-running it yields the same file as an
// uninterrupted run. Each kill is proven to land mid-scan: the output is seen holding some
// points but not all before it, and the process is seen dying of the signal.
func TestSIGKILLThenResumeGivesSameFile(t *testing.T) {
	dir, args := smallScan(t)
	args = append(args[:len(args)-6], "--x", "-1:1:30", "--y", "-1:1:30", "--batch-size", "5")
	whole := filepath.Join(dir, "whole.npz")
	mustRun(t, append(args, "--out", whole, "--workers", "1")...)
	want, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "killed.npz")
	seen := 0
	for i := range 2 {
		cmd := exec.Command(bin, append(args, "--out", out, "--save-every", "1ms", "--workers", "1")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		n := waitForPoints(t, out, seen, exited)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		werr := <-exited
		if x, ok := werr.(*exec.ExitError); !ok || x.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: the scan ended with %v, not by SIGKILL", i, werr)
		}
		sf, err := surface.Load(out)
		if err != nil {
			t.Fatalf("kill %d left an unreadable file: %v", i, err)
		}
		got := sf.Len() - len(sf.Missing())
		if got < n || got == sf.Len() {
			t.Fatalf("kill %d: %d of %d points in the file after the kill; %d were seen before it", i, got, sf.Len(), n)
		}
		t.Logf("kill %d: %d of %d points saved", i, got, sf.Len())
		seen = got
	}
	mustRun(t, append(args, "--out", out, "--workers", "2")...)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the file resumed after two kills differs from the uninterrupted one")
	}
	matches, err := filepath.Glob(filepath.Join(dir, ".killed.npz.tmp*"))
	if err != nil || len(matches) > 2 {
		t.Errorf("temporary files pile up: %v %v", matches, err)
	}
}

// waitForPoints waits until path holds more than after points, but not all, and returns how
// many; it fails if the process exits first.
func waitForPoints(t *testing.T, path string, after int, exited <-chan error) int {
	t.Helper()
	for {
		select {
		case err := <-exited:
			t.Fatalf("the scan ended (%v) before a partial file with more than %d points was seen", err, after)
		default:
		}
		if sf, err := surface.Load(path); err == nil {
			n := sf.Len() - len(sf.Missing())
			if n == sf.Len() {
				t.Fatal("the scan finished before it could be killed: make it longer")
			}
			if n > after {
				return n
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestResumeRefusesOtherSettings(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "s.npz")
	mustRun(t, append(args, "--out", out)...)
	before, _ := os.ReadFile(out)
	_, e, code := run(t, append(args, "--out", out, "--norm", "layer")...)
	if code == 0 || !strings.Contains(e, "other settings") || !strings.Contains(e, "norm: filter in the file, layer now") {
		t.Errorf("exit %d, stderr %q", code, e)
	}
	_, e, code = run(t, append(args[:len(args)-4], "--x", "-1:1:6", "--y", "-1:1:4", "--out", out)...)
	if code == 0 || !strings.Contains(e, "x: -1:1:5 in the file, -1:1:6 now") {
		t.Errorf("changed axis: exit %d, stderr %q", code, e)
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Error("a refused scan changed the existing file")
	}
}

func TestSaveDirsThenReuse(t *testing.T) {
	dir, args := smallScan(t)
	a, b := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz")
	dirs := filepath.Join(dir, "dirs.safetensors")
	mustRun(t, append(args, "--out", a, "--seed", "9", "--norm", "layer", "--save-dirs", dirs)...)
	msg := mustRun(t, append(args, "--out", b, "--dirs", dirs)...)
	if !strings.Contains(msg, "not normalising again") || !strings.Contains(msg, "norm layer") {
		t.Errorf("--dirs does not say it uses the saved normalisation: %q", msg)
	}
	sa, err := surface.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := surface.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for k := range sa.Len() {
		if sa.Loss[k] != sb.Loss[k] {
			t.Errorf("point %d: %v with the seed, %v with the saved directions", k, sa.Loss[k], sb.Loss[k])
		}
	}
	if sb.Settings.Norm != "layer" {
		t.Errorf("settings norm %q, want the file's layer", sb.Settings.Norm)
	}
	// a different draw must not overwrite the saved file
	_, e, code := run(t, append(args, "--out", filepath.Join(dir, "c.npz"), "--seed", "10", "--save-dirs", dirs)...)
	if code == 0 || !strings.Contains(e, "not overwriting") {
		t.Errorf("exit %d, stderr %q", code, e)
	}
}

func TestOneDimensionalScan(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "s.npz")
	mustRun(t, append(args[:len(args)-4], "--x", "-1:1:7", "--out", out)...)
	sf, err := surface.Load(out)
	if err != nil || sf.Is2D() || sf.Len() != 7 {
		t.Fatalf("1D surface: %v %+v", err, sf)
	}
}

func TestBadInputs(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "bad.npz")
	base := append(append([]string{}, args...), "--out", out)
	set := func(flag, val string) []string {
		a := append([]string{}, base...)
		for i := range a {
			if a[i] == flag {
				a[i+1] = val
				return a
			}
		}
		return append(a, flag, val)
	}
	other := writeWeights(t, t.TempDir(), "resnet14", model.Config{InC: 1, HW: 8, Classes: 10}, 2)
	threeCh := writeWeights(t, t.TempDir(), "resnet8", model.Config{InC: 3, HW: 8, Classes: 10}, 2)
	missingPath, extraPath, wrongPath, garbage := writeBadWeights(t, dir, base[4])

	cases := []struct {
		args []string
		want []string
	}{
		{set("--model", "resnet7"), []string{"resnet7"}},
		{set("--model", "alexnet"), []string{"unknown model", "alexnet"}},
		{set("--weights", filepath.Join(dir, "nope.safetensors")), []string{"nope.safetensors"}},
		{set("--weights", garbage), []string{"garbage.safetensors", "safetensors"}},
		{set("--weights", missingPath), []string{"missing tensor", "layer1.0.bn1.running_var", "[16]"}},
		{set("--weights", extraPath), []string{"unexpected tensor", "foo.weight"}},
		{set("--weights", wrongPath), []string{"layer1.0.conv2.weight", "[16, 16, 9]", "[16, 16, 3, 3]"}},
		{set("--weights", other), []string{"layer1.1.conv1.weight", "unexpected"}},
		{set("--weights", threeCh), []string{"1-channel", "3 channels"}},
		{set("--data", "foo:/x"), []string{"unknown kind", "foo"}},
		{set("--data", "mnist"), []string{"KIND:PATH"}},
		{set("--data", "cifar10:"+dir), []string{"test_batch.bin"}},
		{set("--split", "val"), []string{"--split", "val"}},
		{set("--limit", "-3"), []string{"--limit"}},
		{set("--x", "1:-1:5"), []string{"--x", "MAX"}},
		{set("--y", "0:1"), []string{"--y", "MIN:MAX:NUM"}},
		{set("--norm", "fancy"), []string{"--norm", "fancy"}},
		{set("--ignore", "bias"), []string{"--ignore"}},
		{set("--dir-type", "buffers"), []string{"--dir-type"}},
		{set("--dirs", filepath.Join(dir, "nodirs.safetensors")), []string{"nodirs.safetensors"}},
		{set("--dirs", base[4]), []string{"--dirs", "x.conv1.weight"}},
		{set("--weights2", other), []string{"--weights2"}},
		{set("--device", "tpu"), []string{"--device", "tpu"}},
		{set("--precision", "fp8"), []string{"--precision"}},
		{set("--workers", "0"), []string{"--workers"}},
		{set("--out", filepath.Join(dir, "no", "such", "dir", "s.npz")), []string{"no/such/dir"}},
		{set("--out", filepath.Join(dir, "s.txt")), []string{"--out", ".npz"}},
	}
	for _, c := range cases {
		_, e, code := run(t, c.args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1; stderr %q", c.args, code, e)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(e, w) {
				t.Errorf("%v: stderr %q does not mention %q", c.args, e, w)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed scan left an output file")
	}
}

// writeBadWeights writes into dir, from the good weights file good, a file missing one tensor
// (layer1.0.bn1.running_var), one with an extra tensor (foo.weight), one with a tensor of the
// wrong shape (layer1.0.conv2.weight as [16, 16, 9]) and one that is not a safetensors file.
func writeBadWeights(t *testing.T, dir, good string) (missingPath, extraPath, wrongPath, garbage string) {
	w, _, err := model.ReadSafetensors(good)
	if err != nil {
		t.Fatal(err)
	}
	missing := model.NewWeights()
	for _, n := range w.Names {
		if n != "layer1.0.bn1.running_var" {
			missing.Add(w.Tensors[n])
		}
	}
	extra := w.Clone()
	extra.Add(model.NewTensor("foo.weight", 2, 2))
	wrong := w.Clone()
	wrong.Tensors["layer1.0.conv2.weight"].Shape = []int{16, 16, 9}
	missingPath, extraPath, wrongPath = filepath.Join(dir, "missing.safetensors"), filepath.Join(dir, "extra.safetensors"), filepath.Join(dir, "wrong.safetensors")
	for path, ws := range map[string]*model.Weights{missingPath: missing, extraPath: extra, wrongPath: wrong} {
		if err := model.WriteSafetensors(path, ws, nil); err != nil {
			t.Fatal(err)
		}
	}
	garbage = filepath.Join(dir, "garbage.safetensors")
	if err := os.WriteFile(garbage, []byte("not a safetensors file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	return missingPath, extraPath, wrongPath, garbage
}

func TestDeviceAutoFallsBackToCPU(t *testing.T) {
	dir, args := smallScan(t)
	_, e, code := run(t, append(args, "--out", filepath.Join(dir, "s.npz"), "--device", "auto")...)
	if code != 0 || !strings.Contains(e, "no usable GPU") || !strings.Contains(e, "on the CPU") {
		t.Errorf("exit %d, stderr %q", code, e)
	}
	_, e, code = run(t, append(args, "--out", filepath.Join(dir, "g.npz"), "--device", "gpu")...)
	if code == 0 || !strings.Contains(e, "--device gpu") {
		t.Errorf("--device gpu without a GPU: exit %d, stderr %q", code, e)
	}
}

func TestBench(t *testing.T) {
	o := mustRun(t, "bench", "--model", "resnet8", "--images", "8", "--points", "2", "--hw", "8", "--device", "cpu")
	for _, w := range []string{"img_per_s=", "points_per_s=", "gflops=", "model=resnet8", "cpu_kernel=" + gemm.KernelName()} {
		if !strings.Contains(o, w) {
			t.Errorf("bench output %q lacks %q", o, w)
		}
	}
}

func TestInterruptSavesAndExits130(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "s.npz")
	a := append(args[:len(args)-4], "--x", "-1:1:40", "--y", "-1:1:40", "--out", out, "--save-every", "1h", "--workers", "1")
	cmd := exec.Command(bin, a...)
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if x, ok := err.(*exec.ExitError); !ok || x.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr %q", err, e.String())
	}
	sf, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	done := sf.Len() - len(sf.Missing())
	if done == 0 || done == sf.Len() {
		t.Errorf("%d of %d points saved after the interrupt", done, sf.Len())
	}
	if !strings.Contains(e.String(), "interrupted") {
		t.Errorf("stderr %q", e.String())
	}
}

// A different dataset behind the same flags, or another precision, is another scan.
func TestResumeRefusesOtherDataOrPrecision(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "s.npz")
	mustRun(t, append(args, "--out", out)...)
	// An fp32 file is not resumed in bf16, nor a bf16 file in fp32; a bf16 scan runs on the CPU
	// and its file says so.
	_, e, code := run(t, append(args, "--out", out, "--precision", "bf16")...)
	if code == 0 || !strings.Contains(e, "precision") || !strings.Contains(e, "bf16") {
		t.Errorf("an fp32 file resumed in bf16: exit %d, stderr %q", code, e)
	}
	b16 := filepath.Join(dir, "b16.npz")
	mustRun(t, append(args, "--out", b16, "--precision", "bf16")...)
	if sf, err := surface.Load(b16); err != nil || sf.Settings.Precision != "bf16" || sf.Settings.CPUKernel != cpu.KernelName(cpu.Options{BF16: true}) || len(sf.Missing()) != 0 {
		t.Errorf("bf16 scan: %v, settings %+v", err, sf.Settings)
	}
	_, e, code = run(t, append(args, "--out", b16, "--precision", "fp32")...)
	if code == 0 || !strings.Contains(e, "precision") {
		t.Errorf("a bf16 file resumed in fp32: exit %d, stderr %q", code, e)
	}
	writeIDX(t, dir, 17, 8) // the same path now holds 17 images
	_, e, code = run(t, append(args, "--out", out)...)
	if code == 0 || !strings.Contains(e, "data_sha256") {
		t.Errorf("changed data: exit %d, stderr %q", code, e)
	}
	_, e, code = run(t, append(args, "--out", filepath.Join(dir, "t.npz"), "--precision", "tf32")...)
	if code == 0 || !strings.Contains(e, "--precision tf32 needs a GPU") {
		t.Errorf("tf32 without a GPU: exit %d, stderr %q", code, e)
	}
	for _, bad := range [][]string{{"--save-every", "0s"}, {"--batch-size", "-2"}} {
		o := filepath.Join(dir, "bad.npz")
		_, e, code = run(t, append(args, append(bad, "--out", o)...)...)
		if _, err := os.Stat(o); code == 0 || !strings.Contains(e, bad[0]) || err == nil {
			t.Errorf("%v: exit %d, stderr %q, file left: %v", bad, code, e, err == nil)
		}
	}
}

// A half-done format-1 file (as landscape wrote them before format 2) plots as the format-2
// file of the same points does, and resumes to the file of an uninterrupted scan.
func TestFormat1FilePlotsAndResumes(t *testing.T) {
	dir, args := smallScan(t)
	full := filepath.Join(dir, "full.npz")
	mustRun(t, append(args, "--out", full)...)
	want, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := surface.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.npz")
	if err := sf.SaveFormat1(old); err != nil {
		t.Fatal(err)
	}
	riseOf := func(path string) string {
		out := mustRun(t, "plot", path, "--rise-at", "0.5")
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "rise") {
				return strings.TrimPrefix(l, path)
			}
		}
		t.Fatalf("no rise line for %s in %q", path, out)
		return ""
	}
	if a, b := riseOf(full), riseOf(old); a != b {
		t.Errorf("format 1 plots as %q, format 2 as %q", b, a)
	}
	for k := range sf.Len() {
		if k%3 != 0 {
			sf.Computed[k], sf.Loss[k], sf.Acc[k] = false, math.NaN(), math.NaN()
		}
	}
	if err := sf.SaveFormat1(old); err != nil {
		t.Fatal(err)
	}
	msg := mustRun(t, append(args, "--out", old)...)
	if !strings.Contains(msg, "resuming, 7 of 20 points") {
		t.Errorf("resume message %q", msg)
	}
	got, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the resumed format-1 file differs from the uninterrupted scan's")
	}
}
