// Package cpuinfo names the processor this program runs on, for the records
// of a run (surface settings, `landscape bench`, `landscape version`): the
// model string of /proc/cpuinfo on Linux, machdep.cpu.brand_string on macOS,
// and the architecture (runtime.GOARCH) where neither says more.
package cpuinfo

import (
	"bufio"
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// Model returns the processor's model, e.g. "Intel(R) Xeon(R) Processor",
// "Apple M2" or "ARM Neoverse-V1"; runtime.GOARCH when it cannot be read.
func Model() string {
	if m := model(); m != "" {
		return m
	}
	return runtime.GOARCH
}

// armParts names the Arm Ltd. (implementer 0x41) cores of servers and
// boards by their MIDR part number, as /proc/cpuinfo gives them on arm64
// (which has no "model name" line).
var armParts = map[uint64]string{
	0xd03: "Cortex-A53", 0xd07: "Cortex-A57", 0xd08: "Cortex-A72", 0xd0b: "Cortex-A76",
	0xd0c: "Neoverse-N1", 0xd40: "Neoverse-V1", 0xd49: "Neoverse-N2", 0xd4f: "Neoverse-V2",
	0xd8e: "Neoverse-N3", 0xd84: "Neoverse-V3",
}

// implementers names the MIDR implementer codes of arm64 vendors.
var implementers = map[uint64]string{0x41: "ARM", 0x61: "Apple", 0x50: "Ampere (APM)", 0xc0: "Ampere",
	0x48: "HiSilicon", 0x51: "Qualcomm", 0x4e: "NVIDIA"}

// parseProcCPUInfo returns the model named by the text of /proc/cpuinfo:
// the first "model name" (x86, some arm64 kernels), "uarch" (riscv64) or
// "cpu" (ppc64) line, else the arm64 implementer and part, else "".
func parseProcCPUInfo(text string) string {
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, seen := fields[k]; ok && !seen && v != "" {
			fields[k] = v
		}
	}
	for _, k := range []string{"model name", "uarch", "cpu"} {
		if v := fields[k]; v != "" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	impl, err1 := strconv.ParseUint(fields["CPU implementer"], 0, 64)
	part, err2 := strconv.ParseUint(fields["CPU part"], 0, 64)
	if err1 != nil || err2 != nil {
		return ""
	}
	vendor, ok := implementers[impl]
	if !ok {
		vendor = fmt.Sprintf("implementer %#x", impl)
	}
	if name, ok := armParts[part]; ok && impl == 0x41 {
		return vendor + " " + name
	}
	return fmt.Sprintf("%s part %#x", vendor, part)
}
