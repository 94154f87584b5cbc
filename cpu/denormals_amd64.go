//go:build !noasm

package cpu

// canFlush: x86-64 flushes with MXCSR's DAZ (bit 6) and FTZ (bit 15).
const canFlush = true

// flushBits are MXCSR's denormals-are-zero and flush-to-zero bits.
const flushBits = 1<<6 | 1<<15

// getFPMode returns the thread's MXCSR.
func getFPMode() uint32

// setFPMode loads m into the thread's MXCSR.
func setFPMode(m uint32)
