//go:build !noasm && !linux && !darwin

package gemm

// hasBF16 reports false where the CPU's FEAT_BF16 is not read (arm64 but neither Linux nor
// macOS): the float32 kernels compute FusedBF16 there.
func hasBF16() bool { return false }
