//go:build !noasm && !linux

package gemm

// hasBF16 reports false where the CPU's FEAT_BF16 is not read (every arm64 OS but Linux: on
// macOS the sysctl hw.optional.arm.FEAT_BF16 would say it, untested here): the float32
// kernels compute FusedBF16 there.
func hasBF16() bool { return false }
