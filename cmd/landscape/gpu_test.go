package main

import (
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"landscape/model"
	"landscape/surface"
)

// The user-facing binary must never link gorgonia.org/cu: its init exits the process when no GPU works.
func TestNoCUDAInImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	if strings.Contains(string(out), "gorgonia.org/cu") {
		t.Error("landscape imports gorgonia.org/cu")
	}
}

// A scan through the worker protocol (the worker serving the CPU engine, as there is no GPU
// here) gives the CPU scan's numbers.
func TestScanThroughGPUWorkerProtocol(t *testing.T) {
	dir, args := smallScan(t)
	worker := filepath.Join(t.TempDir(), "landscape-gpu")
	if out, err := exec.Command("go", "build", "-o", worker, "../landscape-gpu").CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	viaWorker, viaCPU := filepath.Join(dir, "w.npz"), filepath.Join(dir, "c.npz")
	msg := mustRun(t, append(args, "--out", viaWorker, "--device", "gpu", "--gpu-worker", worker, "--gpu-worker-engine", "cpu")...)
	if strings.Contains(msg, "on the CPU") {
		t.Fatalf("fell back instead of using the worker: %s", msg)
	}
	mustRun(t, append(args, "--out", viaCPU, "--device", "cpu")...)
	a, _ := surface.Load(viaWorker)
	b, _ := surface.Load(viaCPU)
	for k := range a.Len() {
		if math.Abs(a.Loss[k]-b.Loss[k]) > 1e-12*math.Abs(b.Loss[k]) || a.Acc[k] != b.Acc[k] {
			t.Errorf("point %d: worker %v/%v, cpu %v/%v", k, a.Loss[k], a.Acc[k], b.Loss[k], b.Acc[k])
		}
	}
	// a worker that cannot start: --device auto falls back with the reason, --device gpu fails
	_, e, code := run(t, append(args, "--out", filepath.Join(dir, "x.npz"), "--device", "auto", "--gpu-worker", "/bin/false")...)
	if code != 0 || !strings.Contains(e, "no usable GPU") {
		t.Errorf("auto with a broken worker: exit %d, %q", code, e)
	}
}

// A --tolerance scan through the worker protocol (the worker serving the CPU engine) runs,
// rather than being refused, and gives the CPU's estimates, standard errors and images.
func TestToleranceScanThroughGPUWorker(t *testing.T) {
	dir := t.TempDir()
	data := writeIDX(t, dir, 1200, 8)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 1)
	args := []string{"scan", "--model", "resnet8", "--weights", w, "--data", data, "--split", "test",
		"--x", "-1:1:3", "--y", "-1:1:2", "--batch-size", "100", "--tolerance", "0.01", "--sample-seed", "4"}
	worker := filepath.Join(t.TempDir(), "landscape-gpu")
	if out, err := exec.Command("go", "build", "-o", worker, "../landscape-gpu").CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	viaWorker, viaCPU := filepath.Join(dir, "w.npz"), filepath.Join(dir, "c.npz")
	msg := mustRun(t, append(args, "--out", viaWorker, "--device", "gpu", "--gpu-worker", worker, "--gpu-worker-engine", "cpu")...)
	if strings.Contains(msg, "on the CPU") {
		t.Fatalf("fell back instead of using the worker: %s", msg)
	}
	mustRun(t, append(args, "--out", viaCPU, "--device", "cpu")...)
	a, _ := surface.Load(viaWorker)
	b, _ := surface.Load(viaCPU)
	images := b.Extra[surface.ImagesKey("test")]
	sampled := false
	for k := range b.Len() {
		sampled = sampled || images[k] < 1200
		if a.Loss[k] != b.Loss[k] || a.Acc[k] != b.Acc[k] {
			t.Errorf("point %d: worker %v/%v, cpu %v/%v", k, a.Loss[k], a.Acc[k], b.Loss[k], b.Acc[k])
		}
		for key, v := range b.Extra {
			if g := a.Extra[key]; g == nil || g[k] != v[k] {
				t.Errorf("point %d: %s worker %v, cpu %v", k, key, g, v[k])
			}
		}
	}
	if !sampled {
		t.Fatalf("every point used all 1200 images (%v): the test shows nothing", images)
	}
}
