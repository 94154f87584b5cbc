//go:build noasm || !amd64

package cpu

func phasesAsm(src []float32, w, rows int, d [4][]float32) bool { return false }
