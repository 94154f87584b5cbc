//go:build noasm || !amd64

package cpu

// hasWinoFiltAsm is false: no vector filter transform in this build.
const hasWinoFiltAsm = false

func winoFiltersAsm(u, w []float32, ldw, cout, cin int) bool { return false }
