//go:build noasm || !amd64

package cpu

// hasDWAsm is false: no vector depthwise kernel in this build.
var hasDWAsm = false

// dwKernel sets grid[q] = clamp(bias + Σ_t w[t]·pad[q + off[t]], lo, hi) for q < len(grid).
func dwKernel(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	dwKernelGo(grid, pad, off, w, bias, lo, hi)
}

// deinterleaveAsm returns 0: deinterleave copies every pair in Go.
func deinterleaveAsm(ev, od, src []float32) int { return 0 }
