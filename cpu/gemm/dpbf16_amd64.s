//go:build !noasm

#include "textflag.h"

// VDPBF16PS (AVX512-BF16) is not known to Go's assembler: it is written as bytes (EVEX.512.F3.0F38.W0
// 52 /r, register form, from the Intel SDM), each preceded by its AT&T form, and checked against
// objdump by TestAMXEncoding.

// func dpbf16Panel(a *uint16, b *uint16, c *float32, kq int, tiles int)
//
// amxPanel's product with AVX512-BF16 instead of tiles, on the same packed operands: for each
// of the tiles 16-row tile rows of A (a + r·kq·1024 bytes) and each half of 8 rows, the 8×32
// float32 block at c + (16r + 8h)·128 bytes (rows 128 bytes apart) is set to Σ over the kq·16
// pairs t of k of A[i][pair t]·B[pair t][j] (B as amxPanel reads it: pair t at b + 128·t), each
// VDPBF16PS adding the two products of a pair to a float32 accumulator.
//
// Registers: Z0-Z15 the 8×32 accumulators (row i in Z2i, Z2i+1), Z16-17 the B pair row,
// Z18-25 A[i][pair t] broadcast; AX the A rows of the half, BX the current pair of A, DX B,
// R8 the C rows, R9 the tile rows left, R10 the half, R11 the chunks left, R12 the pairs
// left in the chunk, R13 = kq·1024.
TEXT ·dpbf16Panel(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ c+16(FP), R8
	MOVQ kq+24(FP), R13
	SHLQ $10, R13
	MOVQ tiles+32(FP), R9

tilerow:
	MOVQ $0, R10

half:
	LEAQ (SI)(R10*1), AX
	MOVQ b+8(FP), DX
	MOVQ kq+24(FP), R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

chunk:
	MOVQ AX, BX
	MOVQ $16, R12

pair:
	VMOVDQU32 (DX), Z16
	VMOVDQU32 64(DX), Z17
	VPBROADCASTD 0(BX), Z18
	VPBROADCASTD 64(BX), Z19
	VPBROADCASTD 128(BX), Z20
	VPBROADCASTD 192(BX), Z21
	VPBROADCASTD 256(BX), Z22
	VPBROADCASTD 320(BX), Z23
	VPBROADCASTD 384(BX), Z24
	VPBROADCASTD 448(BX), Z25
	// vdpbf16ps %zmm18,%zmm16,%zmm0
	BYTE $0x62; BYTE $0xb2; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xc2
	// vdpbf16ps %zmm18,%zmm17,%zmm1
	BYTE $0x62; BYTE $0xb2; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xca
	// vdpbf16ps %zmm19,%zmm16,%zmm2
	BYTE $0x62; BYTE $0xb2; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xd3
	// vdpbf16ps %zmm19,%zmm17,%zmm3
	BYTE $0x62; BYTE $0xb2; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xdb
	// vdpbf16ps %zmm20,%zmm16,%zmm4
	BYTE $0x62; BYTE $0xb2; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xe4
	// vdpbf16ps %zmm20,%zmm17,%zmm5
	BYTE $0x62; BYTE $0xb2; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xec
	// vdpbf16ps %zmm21,%zmm16,%zmm6
	BYTE $0x62; BYTE $0xb2; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xf5
	// vdpbf16ps %zmm21,%zmm17,%zmm7
	BYTE $0x62; BYTE $0xb2; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xfd
	// vdpbf16ps %zmm22,%zmm16,%zmm8
	BYTE $0x62; BYTE $0x32; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xc6
	// vdpbf16ps %zmm22,%zmm17,%zmm9
	BYTE $0x62; BYTE $0x32; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xce
	// vdpbf16ps %zmm23,%zmm16,%zmm10
	BYTE $0x62; BYTE $0x32; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xd7
	// vdpbf16ps %zmm23,%zmm17,%zmm11
	BYTE $0x62; BYTE $0x32; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xdf
	// vdpbf16ps %zmm24,%zmm16,%zmm12
	BYTE $0x62; BYTE $0x12; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xe0
	// vdpbf16ps %zmm24,%zmm17,%zmm13
	BYTE $0x62; BYTE $0x12; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xe8
	// vdpbf16ps %zmm25,%zmm16,%zmm14
	BYTE $0x62; BYTE $0x12; BYTE $0x7e; BYTE $0x40; BYTE $0x52; BYTE $0xf1
	// vdpbf16ps %zmm25,%zmm17,%zmm15
	BYTE $0x62; BYTE $0x12; BYTE $0x76; BYTE $0x40; BYTE $0x52; BYTE $0xf9
	ADDQ $4, BX
	ADDQ $128, DX
	DECQ R12
	JNZ  pair
	ADDQ $1024, AX
	DECQ R11
	JNZ  chunk

	VMOVUPS Z0, 0(R8)
	VMOVUPS Z1, 64(R8)
	VMOVUPS Z2, 128(R8)
	VMOVUPS Z3, 192(R8)
	VMOVUPS Z4, 256(R8)
	VMOVUPS Z5, 320(R8)
	VMOVUPS Z6, 384(R8)
	VMOVUPS Z7, 448(R8)
	VMOVUPS Z8, 512(R8)
	VMOVUPS Z9, 576(R8)
	VMOVUPS Z10, 640(R8)
	VMOVUPS Z11, 704(R8)
	VMOVUPS Z12, 768(R8)
	VMOVUPS Z13, 832(R8)
	VMOVUPS Z14, 896(R8)
	VMOVUPS Z15, 960(R8)
	ADDQ $1024, R8
	ADDQ $512, R10
	CMPQ R10, $1024
	JNE  half
	ADDQ R13, SI
	DECQ R9
	JNZ  tilerow
	VZEROUPPER
	RET

// func dpbf16PanelCode() *byte: the first byte of dpbf16Panel's code (for TestAMXEncoding).
TEXT ·dpbf16PanelCode(SB), NOSPLIT, $0-8
	LEAQ ·dpbf16Panel(SB), AX
	MOVQ AX, ret+0(FP)
	RET
