// Package cputime reads the CPU time a benchmark used, the figure that still means something
// on a shared, loaded machine where wall time does not: the process's (user + system, every
// thread) and the calling thread's.
package cputime

import "time"

// Process returns the CPU time (user + system) this process has used; 0 where the system has
// no such clock.
func Process() time.Duration { return process() }

// Thread returns the calling thread's CPU time (lock the goroutine to its thread around a
// measurement); where the system has no thread clock, the wall time since the process
// started.
func Thread() time.Duration { return thread() }
