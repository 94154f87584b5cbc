//go:build !unix

package cpu

// cpuSeconds returns 0: no CPU-time metric on this system.
func cpuSeconds() float64 { return 0 }
