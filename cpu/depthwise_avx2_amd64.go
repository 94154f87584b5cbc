//go:build !noasm

package cpu

import xcpu "golang.org/x/sys/cpu"

// The depthwise kernels for CPUs with AVX2 and FMA but no AVX-512 (depthwise_avx2_amd64.s):
// the same fused multiply-adds in the same order as dwConvAVX512, so the same results bit for
// bit; rows are copied by Go's copy (memmove is vectorised already).

//go:noescape
func dwConvAVX2(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)

//go:noescape
func deinterleaveAVX2(ev, od *float32, src *float32, n int)

// hasDWAVX2: the CPU runs depthwise_avx2_amd64.s (used where hasDWAsm is false).
var hasDWAVX2 = xcpu.X86.HasAVX2 && xcpu.X86.HasFMA

// dwKernelAVX2 is dwKernel with dwConvAVX2 where the CPU has AVX2, else dwKernelGo.
func dwKernelAVX2(grid, pad []float32, off []int32, w []float32, bias, lo, hi float32) {
	if !hasDWAVX2 || len(grid) == 0 || len(grid)%16 != 0 {
		dwKernelGo(grid, pad, off, w, bias, lo, hi)
		return
	}
	maxOff := int32(0)
	for _, o := range off {
		maxOff = max(maxOff, o)
	}
	_ = pad[len(grid)+int(maxOff)-1]
	_ = w[len(off)-1]
	dwConvAVX2(&grid[0], &pad[0], len(grid), &off[0], &w[0], len(off), bias, lo, hi)
}

// deinterleaveRowsAVX2 is deinterleaveRows with deinterleaveAVX2 (16 input floats at a time,
// each row's last n%16 in Go) where the CPU has AVX2, else deinterleaveRowsGo.
func deinterleaveRowsAVX2(ev, od []float32, ldd int, src []float32, lds, rows, n int) {
	m := n &^ 15
	if !hasDWAVX2 || m == 0 {
		deinterleaveRowsGo(ev, od, ldd, src, lds, rows, n)
		return
	}
	for r := range rows {
		s, e, o := src[r*lds:][:n], ev[r*ldd:][:(n+1)/2], od[r*ldd:][:n/2]
		deinterleaveAVX2(&e[0], &o[0], &s[0], m)
		deinterleaveRowsGo(e[m/2:], o[m/2:], 0, s[m:], 0, 1, n-m)
	}
}
