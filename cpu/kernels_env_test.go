package cpu

import (
	"strings"
	"testing"

	"landscape/cpu/gemm"
	"landscape/model"
)

// TestKernelsFromEnv selects every implementation this machine has through the environment
// and checks that KernelName names it, and that an unknown name is refused naming the
// variable and the choices.
func TestKernelsFromEnv(t *testing.T) {
	saved, savedBF16 := gemm.KernelName(), gemm.BF16KernelName()
	defer func() {
		gemm.SetImpl(saved)
		if !gemm.SetBF16Impl(savedBF16) {
			gemm.SetBF16Impl("")
		}
	}()
	for _, k := range gemm.Impls() {
		t.Setenv(KernelsEnv, k)
		if err := UseKernelsFromEnv(); err != nil {
			t.Fatal(err)
		}
		if got := KernelName(Options{Winograd: WinogradOff}); got != k {
			t.Errorf("$%s=%s: KernelName %q", KernelsEnv, k, got)
		}
	}
	t.Setenv(KernelsEnv, saved)
	for _, k := range append(gemm.BF16Impls(), "fp32") {
		t.Setenv(BF16KernelsEnv, k)
		if err := UseKernelsFromEnv(); err != nil {
			t.Fatal(err)
		}
		want := k
		if k == "fp32" {
			want = saved
		}
		if got := KernelName(Options{BF16: true}); got != want {
			t.Errorf("$%s=%s: KernelName %q, want %q", BF16KernelsEnv, k, got, want)
		}
	}
	for _, env := range []string{KernelsEnv, BF16KernelsEnv} {
		t.Setenv(env, "sse9")
		err := UseKernelsFromEnv()
		if err == nil || !strings.Contains(err.Error(), env) || !strings.Contains(err.Error(), "portable") && env == KernelsEnv {
			t.Errorf("$%s=sse9: error %v, want one naming the variable and the choices", env, err)
		}
		t.Setenv(env, "")
	}
}

// TestPlanKernelName checks that a record names Winograd only for a network some layer of which
// it computes: resnet20's 16–64-channel layers stay direct on the vector path (winoVecPays),
// while WinogradOn takes every 3×3 stride-1 layer.
func TestPlanKernelName(t *testing.T) {
	net, err := model.Build("resnet20", model.Config{InC: 3, HW: 32, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := model.Compile(net)
	if err != nil {
		t.Fatal(err)
	}
	on := PlanKernelName(plan, Options{Winograd: WinogradOn})
	if !strings.HasSuffix(on, "+winograd") {
		t.Errorf("WinogradOn: %q, want a +winograd name", on)
	}
	if off := PlanKernelName(plan, Options{Winograd: WinogradOff}); off != gemm.KernelName() {
		t.Errorf("WinogradOff: %q, want %q", off, gemm.KernelName())
	}
	if auto, pays := PlanKernelName(plan, Options{}), planWinograd(plan, Options{}); strings.HasSuffix(auto, "+winograd") != pays {
		t.Errorf("WinogradAuto: %q while planWinograd says %v", auto, pays)
	}
	if winoVec() && planWinograd(plan, Options{}) {
		t.Errorf("resnet20 on the vector path: planWinograd true, want its layers direct")
	}
}
