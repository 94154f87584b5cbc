//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

// The filter transform of winograd_filt_amd64.s (see winoFiltersAsm).

//go:noescape
func winoFiltAVX512(u *float32, su int, w *float32, n int, mask uint16)

var hasWinoFiltAsm = xcpu.X86.HasAVX512F

// winoFiltersAsm writes what winoFilters64 does, in float32 with AVX-512 (16 input channels a
// call's group, the last cin mod 16 through a padded copy), and reports whether it could.
func winoFiltersAsm(u, w []float32, ldw, cout, cin int) bool {
	if !hasWinoFiltAsm || cout == 0 || cin == 0 {
		return false
	}
	_ = u[winoXi*cout*cin-1]
	_ = w[(cout-1)*ldw+9*cin-1]
	full, rest := cin/16, cin%16
	var pad [16 * 9]float32
	for co := range cout {
		if full > 0 {
			winoFiltAVX512(&u[co*cin], cout*cin, &w[co*ldw], full, 0xffff)
		}
		if rest > 0 {
			copy(pad[:], w[co*ldw+16*9*full:][:9*rest])
			winoFiltAVX512(&u[co*cin+16*full], cout*cin, &pad[0], 1, 1<<rest-1)
		}
	}
	return true
}
