//go:build !linux && !darwin

package cputime

import "time"

var start = time.Now()

func process() time.Duration { return 0 }

func thread() time.Duration { return time.Since(start) }
