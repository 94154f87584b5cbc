//go:build noasm || !(amd64 || arm64)

package cpu

// canFlush is false: this build leaves the floating-point mode alone (IEEE subnormals).
const canFlush = false

// flushBits: none.
const flushBits = 0

func getFPMode() uint32 { return 0 }
func setFPMode(uint32)  {}
