package cpuinfo

import "golang.org/x/sys/unix"

// model reads sysctl machdep.cpu.brand_string ("Apple M2 Pro", "Intel(R)
// Core(TM) i7-…"): no cgo needed, Go calls libSystem itself on macOS.
func model() string {
	s, err := unix.Sysctl("machdep.cpu.brand_string")
	if err != nil {
		return ""
	}
	return s
}
