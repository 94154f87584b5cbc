//go:build !noasm

package cpu

import "landscape/model"

//go:noescape
func geluAVX512(dst, src *float32, n int)

// gelu sets dst[i] = GELU(src[i]) for i < len(dst): in float32 by gelu_amd64.s where the CPU
// has AVX-512, else by ActivateLayer's float64 formula (scalar, it runs faster than geluGo,
// whose fused multiply-adds go through float64: 0.019 against 0.012 Gfloat/s,
// BenchmarkTransformerRows/GELU).
func gelu(dst, src []float32) {
	if !hasEltAsm || len(dst) == 0 {
		ActivateLayer(model.OpGELU, nil, dst, src)
		return
	}
	_ = src[len(dst)-1]
	geluAVX512(&dst[0], &src[0], len(dst))
}
