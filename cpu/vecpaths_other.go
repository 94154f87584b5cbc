//go:build noasm || !amd64

package cpu

// No AVX2 kernels in this build (the flags the tests switch between kernel sets).
var (
	hasEltAVX2  = false
	hasDWAVX2   = false
	hasPoolAVX2 = false
)
