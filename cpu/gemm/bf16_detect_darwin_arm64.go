//go:build !noasm

package gemm

import "golang.org/x/sys/unix"

// hasBF16 reports whether the CPU has FEAT_BF16 (Apple M2 and later), from macOS's sysctl
// hw.optional.arm.FEAT_BF16 (macOS 12 and later; absent means no). Not tested here (no Mac):
// the kernel it selects is the one tested under qemu on Linux.
func hasBF16() bool {
	v, err := unix.SysctlUint32("hw.optional.arm.FEAT_BF16")
	return err == nil && v == 1
}
