//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:noescape
func dwConvAVX512(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)

//go:noescape
func deinterleaveAVX512(ev, od, src *float32, n int)

// hasDWAsm: the CPU runs depthwise_amd64.s.
var hasDWAsm = xcpu.X86.HasAVX512F

// dwKernel sets grid[q] = clamp(bias + Σ_t w[t]·pad[q + off[t]], lo, hi) for q < len(grid), a
// multiple of 16 (dwConvAVX512 where the CPU has AVX-512: fused multiply-adds; else
// dwKernelGo). pad must hold len(grid) + max(off) floats.
func dwKernel(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	if !hasDWAsm || len(grid) == 0 || len(grid)%16 != 0 {
		dwKernelGo(grid, pad, off, w, bias, lo, hi)
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

// deinterleaveAsm writes src's first 2·m pairs' even elements to ev and odd ones to od with
// AVX-512 (m the most multiple of 16 pairs in src) and returns m (0 without AVX-512).
func deinterleaveAsm(ev, od, src []float32) int {
	m := len(src) / 32 * 16
	if !hasDWAsm || m == 0 {
		return 0
	}
	_, _ = ev[m-1], od[m-1]
	deinterleaveAVX512(&ev[0], &od[0], &src[0], m)
	return m
}
