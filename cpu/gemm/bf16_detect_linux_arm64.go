//go:build !noasm

package gemm

import (
	"encoding/binary"
	"os"
)

// hasBF16 reports whether the CPU has FEAT_BF16, from the HWCAP2_BF16 bit (1 << 14) of the
// AT_HWCAP2 entry (26) of the auxiliary vector Linux gives the process (/proc/self/auxv: pairs
// of 64-bit words). golang.org/x/sys/cpu (v0.50) does not report it.
func hasBF16() bool {
	auxv, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return false
	}
	const atHWCAP2, hwcap2BF16 = 26, 1 << 14
	for i := 0; i+16 <= len(auxv); i += 16 {
		if binary.LittleEndian.Uint64(auxv[i:]) == atHWCAP2 {
			return binary.LittleEndian.Uint64(auxv[i+8:])&hwcap2BF16 != 0
		}
	}
	return false
}
