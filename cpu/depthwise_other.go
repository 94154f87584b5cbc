//go:build noasm || !amd64

package cpu

// hasDWAsm is false: no vector depthwise kernel in this build.
var hasDWAsm = false

// dwKernel sets grid[q] = clamp(bias + Σ_t w[t]·pad[q + off[t]], lo, hi) for q < len(grid).
func dwKernel(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	dwKernelGo(grid, pad, off, w, bias, lo, hi)
}

// copyRows sets dst[r·ldd+i] = src[r·lds+i] for r < rows, i < cols.
func copyRows(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	copyRowsGo(dst, ldd, src, lds, rows, cols)
}

// deinterleaveRows writes, for r < rows, the even elements of src[r·lds:][:n] to
// ev[r·ldd:] and the odd ones to od[r·ldd:].
func deinterleaveRows(ev, od []float32, ldd int, src []float32, lds, rows, n int) {
	deinterleaveRowsGo(ev, od, ldd, src, lds, rows, n)
}
