//go:build noasm || !amd64

package cpu

import "landscape/model"

// gelu sets dst[i] = GELU(src[i]) for i < len(dst) by ActivateLayer's float64 formula (faster
// in scalar code than geluGo, the float32 algorithm of the vector kernels).
func gelu(dst, src []float32) { ActivateLayer(model.OpGELU, nil, dst, src) }
