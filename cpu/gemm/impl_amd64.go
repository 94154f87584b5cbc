//go:build !noasm

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

//go:noescape
func kernAVX512x8x48(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX512x8x48b(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape

//go:noescape
func kernAVX512x8x32(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX512x8x16(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX512x8x16b(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX2x4x24(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX2x4x16(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX2x4x8(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

//go:noescape
func kernAVX2x6x16(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

func archImpls() []*impl {
	var l []*impl
	if cpu.X86.HasAVX512F {
		k48 := []panelKernel{{48, kernAVX512x8x48}, {32, kernAVX512x8x32}, {16, kernAVX512x8x16}}
		l = append(l,
			&impl{name: "avx512", mr: 8, kernels: k48, kc: 256, mc: 512, nc: 4096},
			&impl{name: "avx512-packA", mr: 8, kernels: k48, kc: 256, mc: 512, nc: 4096, packA: true},
			&impl{name: "avx512-packAB", mr: 8, kernels: k48, kc: 256, mc: 512, nc: 4096, packA: true, packB: true},
			&impl{name: "avx512-packB", mr: 8, kernels: k48, kc: 256, mc: 512, nc: 4096, packB: true},
			&impl{name: "avx512-b", mr: 8, kernels: []panelKernel{{48, kernAVX512x8x48b}, {32, kernAVX512x8x32}, {16, kernAVX512x8x16b}}, kc: 256, mc: 512, nc: 4096},
			&impl{name: "avx512-nofuse", mr: 8, kernels: k48, kc: 256, mc: 512, nc: 4096, noFuse: true},
			&impl{name: "avx512-kc384", mr: 8, kernels: k48, kc: 384, mc: 512, nc: 4096},
			&impl{name: "avx512-kc192", mr: 8, kernels: k48, kc: 192, mc: 512, nc: 4096},
			&impl{name: "avx512-32", mr: 8, kernels: k48[1:], kc: 256, mc: 512, nc: 4096},
		)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		l = append(l,
			&impl{name: "avx2", mr: 4, kernels: []panelKernel{{24, kernAVX2x4x24}, {16, kernAVX2x4x16}, {8, kernAVX2x4x8}}, kc: 256, mc: 512, nc: 4096},
			&impl{name: "avx2-6x16", mr: 6, kernels: []panelKernel{{16, kernAVX2x6x16}}, kc: 256, mc: 510, nc: 4096},
		)
	}
	return l
}

// transpose8 sets dst[p*ldd+j] = src[j*lds+p] for j < 8, p < kc&^7.
//
//go:noescape
func transpose8(kc int, src *float32, lds int, dst *float32, ldd int)

func init() {
	if cpu.X86.HasAVX {
		packT8 = transpose8
	}
}
