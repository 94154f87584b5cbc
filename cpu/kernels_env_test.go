package cpu

import (
	"strings"
	"testing"

	"landscape/cpu/gemm"
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
