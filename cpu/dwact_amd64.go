//go:build !noasm

package cpu

import "landscape/model"

//go:noescape
func siluRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)

// hasActRowsAsm reports whether activateRowsAsm computes act: SiLU (the depthwise layers of
// EfficientNet) on a CPU with AVX-512.
func hasActRowsAsm(act model.OpKind) bool { return hasEltAsm && act == model.OpSiLU }

// activateRowsAsm sets dst[r·ldd+i] = act(src[r·lds+i]) for r < rows, i < cols with one call
// of eltwise_amd64.s, for an act hasActRowsAsm accepts.
func activateRowsAsm(act model.OpKind, dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if !hasActRowsAsm(act) {
		panic("cpu: activateRowsAsm: no kernel for " + act.String())
	}
	if rows > 0 && cols > 0 {
		_, _ = dst[(rows-1)*ldd+cols-1], src[(rows-1)*lds+cols-1]
		siluRowsAVX512(&dst[0], ldd, &src[0], lds, rows, cols)
	}
}
