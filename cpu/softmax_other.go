//go:build noasm || !amd64

package cpu

// expSubRow sets dst[i] = e^(src[i] − m[i]) for i < len(dst) in float32 (expSubOne).
func expSubRow(dst, src, m []float32) { expSubRowGo(dst, src, m) }

// addF64Row sets dst[i] += float64(src[i]) for i < len(dst).
func addF64Row(dst []float64, src []float32) { addF64RowGo(dst, src) }
