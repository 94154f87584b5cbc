//go:build noasm || !amd64

package cpu

import "landscape/model"

// hasActRowsAsm is false: no vector kernel in this build.
func hasActRowsAsm(act model.OpKind) bool { return false }

func activateRowsAsm(act model.OpKind, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	panic("cpu: activateRowsAsm: no kernel in this build")
}
