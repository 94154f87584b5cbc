//go:build unix

package cpu

import "syscall"

// cpuSeconds returns the CPU time (user + system) this process has used, in seconds.
func cpuSeconds() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
