//go:build !noasm

package gemm

import (
	"testing"

	"golang.org/x/sys/cpu"
)

//go:noescape
func fmaPeakAVX512(n int)

//go:noescape
func amxPeak(cfg *byte, n int)

// BenchmarkPeak measures one core's peak arithmetic rate, the denominator of the fractions of
// peak in bench/RESULTS.md: float32 FMAs on ZMM registers (fp32-avx512) and bfloat16 tile
// products (bf16-amx), from registers only.
func BenchmarkPeak(b *testing.B) {
	const iters = 1 << 16
	b.Run("fp32-avx512", func(b *testing.B) {
		if !cpu.X86.HasAVX512F {
			b.Skip("no AVX-512")
		}
		for b.Loop() {
			fmaPeakAVX512(iters)
		}
		b.ReportMetric(768*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("bf16-amx", func(b *testing.B) {
		if archBF16() == nil {
			b.Skip("no AMX-BF16 (or Linux did not grant the tile state)")
		}
		for b.Loop() {
			amxPeak(&amxConfig[0], iters)
		}
		b.ReportMetric(65536*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
