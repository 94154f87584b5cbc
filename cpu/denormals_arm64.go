//go:build !noasm

package cpu

// canFlush: arm64 flushes with FPCR.FZ (bit 24), inputs and results alike.
const canFlush = true

// flushBits is FPCR's flush-to-zero bit.
const flushBits = 1 << 24

// getFPMode returns the thread's FPCR.
func getFPMode() uint32

// setFPMode loads m into the thread's FPCR.
func setFPMode(m uint32)
