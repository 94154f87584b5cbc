//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func phasesAVX512(src *float32, w, rows int, d0, d1, d2, d3 *float32)

var hasPhasesAsm = xcpu.X86.HasAVX512F

// phasesAsm writes the four phase planes of the 2·rows × w plane src into d[0..3] (see
// phasesAVX512) and reports whether it could: it needs AVX-512 and an even w.
func phasesAsm(src []float32, w, rows int, d [4][]float32) bool {
	if !hasPhasesAsm || w%2 != 0 || w == 0 || rows == 0 {
		return false
	}
	_ = src[2*rows*w-1]
	for _, di := range d {
		_ = di[rows*w/2-1]
	}
	phasesAVX512(&src[0], w, rows, &d[0][0], &d[1][0], &d[2][0], &d[3][0])
	return true
}
