package cpuinfo

import "os"

func model() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return parseProcCPUInfo(string(b))
}
