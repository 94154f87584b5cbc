//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

//go:noescape
func kernAVX512x8x32(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x8x32b(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x8x48(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x12x32(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x14x32(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x16x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x6x64(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX512x4x64(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX2x6x16(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernAVX2x4x24(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

func archImpls() []*impl {
	var l []*impl
	if cpu.X86.HasAVX512F {
		l = append(l,
			&impl{name: "avx512", mr: 8, nr: 32, kc: 256, mc: 256, nc: 4096, kern: kernAVX512x8x32},
			&impl{name: "avx512-8x32b", mr: 8, nr: 32, kc: 256, mc: 256, nc: 4096, kern: kernAVX512x8x32b},
			&impl{name: "avx512-8x48", mr: 8, nr: 48, kc: 256, mc: 256, nc: 4096, kern: kernAVX512x8x48},
			&impl{name: "avx512-12x32", mr: 12, nr: 32, kc: 256, mc: 252, nc: 4096, kern: kernAVX512x12x32},
			&impl{name: "avx512-14x32", mr: 14, nr: 32, kc: 256, mc: 252, nc: 4096, kern: kernAVX512x14x32},
			&impl{name: "avx512-16x16", mr: 16, nr: 16, kc: 256, mc: 256, nc: 4096, kern: kernAVX512x16x16},
			&impl{name: "avx512-6x64", mr: 6, nr: 64, kc: 256, mc: 252, nc: 4096, kern: kernAVX512x6x64},
			&impl{name: "avx512-4x64", mr: 4, nr: 64, kc: 256, mc: 256, nc: 4096, kern: kernAVX512x4x64},
		)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l,
			&impl{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 252, nc: 4096, kern: kernAVX2x6x16},
			&impl{name: "avx2-4x24", mr: 4, nr: 24, kc: 256, mc: 256, nc: 4096, kern: kernAVX2x4x24},
		)
	}
	return l
}
