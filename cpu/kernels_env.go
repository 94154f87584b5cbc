package cpu

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"landscape/cpu/gemm"
)

// KernelsEnv and BF16KernelsEnv name the environment variables that choose the CPU engine's
// micro-kernels instead of the best this machine has, to benchmark or check one code path on a
// machine that has several: KernelsEnv one of gemm.Impls() (on x86-64 "avx512", "avx2",
// "portable"), BF16KernelsEnv one of gemm.BF16Impls() ("amx-bf16", "avx512-bf16", "neon-bf16")
// or "fp32" (bfloat16 inputs on the float32 kernels, the path of CPUs without bfloat16
// instructions). Unset or empty: the best.
const (
	KernelsEnv     = "LANDSCAPE_CPU_KERNELS"
	BF16KernelsEnv = "LANDSCAPE_CPU_BF16_KERNELS"
)

// UseKernelsFromEnv selects the kernels $LANDSCAPE_CPU_KERNELS and $LANDSCAPE_CPU_BF16_KERNELS
// name (KernelName then names them), or returns an error naming the variable and the choices
// this machine and build have. It must not run while an engine computes.
func UseKernelsFromEnv() error {
	if k := os.Getenv(KernelsEnv); k != "" {
		if !slices.Contains(gemm.Impls(), k) || !gemm.SetImpl(k) {
			return fmt.Errorf("$%s=%q: this machine and build have %s", KernelsEnv, k, strings.Join(gemm.Impls(), ", "))
		}
	}
	if k := os.Getenv(BF16KernelsEnv); k != "" {
		name := k
		if k == "fp32" {
			name = ""
		}
		if !gemm.SetBF16Impl(name) {
			return fmt.Errorf("$%s=%q: this machine and build have %s", BF16KernelsEnv, k, strings.Join(append(gemm.BF16Impls(), "fp32"), ", "))
		}
	}
	return nil
}
