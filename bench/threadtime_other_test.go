//go:build !linux && !darwin

package bench

import "time"

var timeStart = time.Now()

// threadTime is the wall time (no thread CPU clock here).
func threadTime() time.Duration { return time.Since(timeStart) }
