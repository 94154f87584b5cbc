package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"landscape/cpu/gemm"
	"landscape/surface"
)

// TestArm64ScanMatchesHost builds landscape for linux/arm64 (the NEON kernels), runs the small
// resnet8 scan under qemu-aarch64-static and on this machine, and compares the surfaces: the
// kernels sum in other orders (4-lane FMLA against this CPU's vectors), so the losses agree to
// float32 summation-order differences, not bit for bit. It runs where LANDSCAPE_TEST_ARM64 is
// set (make test-arm64, .ci/run): emulated, the scan takes about a minute.
func TestArm64ScanMatchesHost(t *testing.T) {
	if os.Getenv("LANDSCAPE_TEST_ARM64") == "" {
		t.Skip("set LANDSCAPE_TEST_ARM64=1 (make test-arm64) to compare an arm64 scan under qemu-aarch64-static")
	}
	if runtime.GOARCH == "arm64" {
		t.Skip("this machine is arm64: the other tests run the NEON kernels natively")
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Fatal("LANDSCAPE_TEST_ARM64 is set but qemu-aarch64-static is missing: install qemu-user-static (scripts/deps.sh)")
	}
	armBin := filepath.Join(t.TempDir(), "landscape-arm64")
	build := exec.Command("go", "build", "-o", armBin, ".")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build for linux/arm64: %v\n%s", err, out)
	}
	dir, args := smallScan(t)
	host, arm := filepath.Join(dir, "host.npz"), filepath.Join(dir, "arm64.npz")
	mustRun(t, append(args, "--out", host, "--quiet")...)
	if out, err := exec.Command(qemu, append(append([]string{armBin}, args...), "--out", arm, "--quiet")...).CombinedOutput(); err != nil {
		t.Fatalf("arm64 scan under qemu: %v\n%s", err, out)
	}
	h, err := surface.Load(host)
	if err != nil {
		t.Fatal(err)
	}
	a, err := surface.Load(arm)
	if err != nil {
		t.Fatal(err)
	}
	if a.Settings.CPUKernel != "neon" || h.Settings.CPUKernel != gemm.KernelName() {
		t.Errorf("cpu_kernel: arm64 %q, host %q; want neon and %q", a.Settings.CPUKernel, h.Settings.CPUKernel, gemm.KernelName())
	}
	if d := h.Settings.Diff(a.Settings); len(d) > 0 {
		t.Errorf("settings differ: %v", d)
	}
	compareSurfaces(t, h, a)
}

// compareSurfaces checks that b's losses equal a's to 1e-4 relative (float32 sums of a few
// thousand terms in another order) and its accuracies to within one image of the 16 (a logit
// tie broken the other way).
func compareSurfaces(t *testing.T, a, b *surface.Surface) {
	t.Helper()
	if a.Len() != b.Len() || len(b.Missing()) != 0 {
		t.Fatalf("%d points against %d, %d missing", b.Len(), a.Len(), len(b.Missing()))
	}
	worst := 0.0
	for k := range a.Len() {
		rel := math.Abs(b.Loss[k]-a.Loss[k]) / math.Max(1, math.Abs(a.Loss[k]))
		worst = max(worst, rel)
		if !(rel <= 1e-4) {
			t.Errorf("point %d: loss %.7g, host %.7g (relative difference %.2g)", k, b.Loss[k], a.Loss[k], rel)
		}
		if math.Abs(b.Acc[k]-a.Acc[k]) > 100.0/16+1e-9 {
			t.Errorf("point %d: accuracy %.2f%%, host %.2f%%", k, b.Acc[k], a.Acc[k])
		}
	}
	t.Logf("%d points: largest relative loss difference %.2g", a.Len(), worst)
}
