//go:build !noasm

package gemm

import (
	"os"
	"testing"
)

// TestHasBF16 checks the FEAT_BF16 detection against what the test's runner says the CPU has:
// scripts/test-arm64.sh runs it under qemu as a CPU with BF16 (QEMU_CPU=max,
// LANDSCAPE_ARM64_BF16=1) and as one without (cortex-a72, 0). Without the variable it skips.
func TestHasBF16(t *testing.T) {
	want := os.Getenv("LANDSCAPE_ARM64_BF16")
	if want == "" {
		t.Skip("LANDSCAPE_ARM64_BF16 not set (scripts/test-arm64.sh sets it)")
	}
	if got := hasBF16(); got != (want == "1") {
		t.Errorf("hasBF16() = %v on a CPU with LANDSCAPE_ARM64_BF16=%s", got, want)
	}
	if (BF16KernelName() == "neon-bf16") != (want == "1") {
		t.Errorf("BF16KernelName() = %q with LANDSCAPE_ARM64_BF16=%s", BF16KernelName(), want)
	}
}
