package cpu

import (
	"os"
	"runtime"
)

// DenormalsEnv names the environment variable that, set to "keep", makes the CPU engine compute
// with IEEE subnormal numbers (denormals) as Go and PyTorch do by default, instead of flushing
// them to zero.
//
// By default the engine flushes them: while Evaluate runs, its thread's floating-point control
// register treats subnormal inputs as zero and rounds subnormal results to zero (x86-64 MXCSR
// DAZ and FTZ; arm64 FPCR.FZ). A float32 subnormal is below 2^-126 ≈ 1.2e-38 in magnitude, so
// the loss changes by at most about that, absolutely, per operation — far below the float32
// rounding of any loss — but x86 CPUs compute each operation on a subnormal in a microcode assist
// roughly a hundred times slower than a normal one. Far from θ, where a perturbed network's
// activations span many orders of magnitude (sigmoid gates near 0, squeeze-excitation scales,
// depthwise products), they are common: torchvision's efficientnet_b0 at the benchmark's point ran
// 2.5 times as fast in float32 with them flushed (bench/RESULTS.md). The bfloat16 products (AMX
// TDPBF16PS, VDPBF16PS) flush subnormals whatever the register says.
const DenormalsEnv = "LANDSCAPE_CPU_DENORMALS"

// keepDenormals reports whether $LANDSCAPE_CPU_DENORMALS asks for IEEE subnormals.
func keepDenormals() bool { return os.Getenv(DenormalsEnv) == "keep" }

// flushDenormals locks the calling goroutine to its thread and sets the thread to flush
// subnormals, unless keep (or the build cannot: on is false then, and nothing changed);
// restoreDenormals(old, on) undoes it. The lock keeps every other goroutine off the thread while
// its mode differs from Go's default, and keeps this one on it. (Two functions, not a returned
// closure: Evaluate allocates nothing but its result.)
func flushDenormals(keep bool) (old uint32, on bool) {
	if keep || !canFlush {
		return 0, false
	}
	runtime.LockOSThread()
	return flushOn(), true
}

// restoreDenormals restores the mode flushDenormals changed and unlocks the thread.
func restoreDenormals(old uint32, on bool) {
	if on {
		setFPMode(old)
		runtime.UnlockOSThread()
	}
}

// flushOn sets the thread's flushBits (getFPMode and setFPMode: x86-64 MXCSR, arm64 FPCR) and
// returns its previous mode.
func flushOn() uint32 {
	old := getFPMode()
	setFPMode(old | flushBits)
	return old
}
