//go:build noasm || !amd64

package cpu

// gelu sets dst[i] = GELU(src[i]) for i < len(dst) in float32 (gelu.go).
func gelu(dst, src []float32) { geluGo(dst, src) }
