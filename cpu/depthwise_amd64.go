//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func dwConvAVX512(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)

//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)

//go:noescape
func deinterleaveRowsAVX512(ev, od *float32, ldd int, src *float32, lds int, rows, n int)

// hasDWAsm: the CPU runs depthwise_amd64.s.
var hasDWAsm = xcpu.X86.HasAVX512F

// dwKernel sets grid[q] = clamp(bias + Σ_t w[t]·pad[q + off[t]], lo, hi) for q < len(grid), a
// multiple of 16 (dwConvAVX512 where the CPU has AVX-512: fused multiply-adds; else
// dwKernelGo). pad must hold len(grid) + max(off) floats.
func dwKernel(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	if !hasDWAsm || len(grid) == 0 || len(grid)%16 != 0 {
		dwKernelAVX2(grid, pad, off, w, bias, lo, hi) // AVX2 where the CPU has it, else Go
		return
	}
	maxOff := int32(0)
	for _, o := range off {
		maxOff = max(maxOff, o)
	}
	_ = pad[len(grid)+int(maxOff)-1]
	_ = w[len(off)-1]
	dwConvAVX512(&grid[0], &pad[0], len(grid), &off[0], &w[0], len(off), bias, lo, hi)
}

// copyRows sets dst[r·ldd+i] = src[r·lds+i] for r < rows, i < cols.
func copyRows(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if !hasDWAsm || rows == 0 || cols == 0 {
		copyRowsGo(dst, ldd, src, lds, rows, cols)
		return
	}
	_, _ = dst[(rows-1)*ldd+cols-1], src[(rows-1)*lds+cols-1]
	copyRowsAVX512(&dst[0], ldd, &src[0], lds, rows, cols)
}

// deinterleaveRows writes, for r < rows, the even elements of src[r·lds:][:n] to
// ev[r·ldd:] and the odd ones to od[r·ldd:].
func deinterleaveRows(ev, od []float32, ldd int, src []float32, lds, rows, n int) {
	if !hasDWAsm || rows == 0 || n == 0 {
		deinterleaveRowsAVX2(ev, od, ldd, src, lds, rows, n)
		return
	}
	_, _ = ev[(rows-1)*ldd+(n+1)/2-1], src[(rows-1)*lds+n-1]
	if n > 1 {
		_ = od[(rows-1)*ldd+n/2-1]
	}
	deinterleaveRowsAVX512(&ev[0], &od[0], ldd, &src[0], lds, rows, n)
}
