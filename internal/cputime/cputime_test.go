package cputime

import (
	"runtime"
	"testing"
)

// TestClocksAdvance spins for a while on one thread and checks that both clocks moved forward
// and that the thread's did not move more than the process's (on systems that have both).
func TestClocksAdvance(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	x := 1.0
	for i := range 20_000_000 {
		x = x*1.0000001 + float64(i&1)
	}
	p1, t1 := Process(), Thread()
	if x == 0 || t1 <= t0 {
		t.Fatalf("thread clock %v → %v did not advance", t0, t1)
	}
	if p0 != 0 && (p1 <= p0 || t1-t0 > p1-p0+p1/100) {
		t.Fatalf("process clock %v → %v, thread %v → %v: want the process's to advance at least as much", p0, p1, t0, t1)
	}
}
