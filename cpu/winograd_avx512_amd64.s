//go:build !noasm

#include "textflag.h"

// The input and output transforms of Winograd's F(4×4, 3×3) (winograd.go) on 16 tiles of one
// tile row at a time, one tile per lane: tile t's columns are 4t−1 … 4t+4 of the input and
// 4t … 4t+3 of the output, which VPERMI2PS and VSHUFF32X4 deinterleave and interleave by four.

// Deinterleaving 32 floats r[0…31] by four: winoQ01 gathers r[4t] (t < 8) then r[4t+1],
// winoQ23 r[4t+2] then r[4t+3].
DATA winoQ01<>+0(SB)/4, $0
DATA winoQ01<>+4(SB)/4, $4
DATA winoQ01<>+8(SB)/4, $8
DATA winoQ01<>+12(SB)/4, $12
DATA winoQ01<>+16(SB)/4, $16
DATA winoQ01<>+20(SB)/4, $20
DATA winoQ01<>+24(SB)/4, $24
DATA winoQ01<>+28(SB)/4, $28
DATA winoQ01<>+32(SB)/4, $1
DATA winoQ01<>+36(SB)/4, $5
DATA winoQ01<>+40(SB)/4, $9
DATA winoQ01<>+44(SB)/4, $13
DATA winoQ01<>+48(SB)/4, $17
DATA winoQ01<>+52(SB)/4, $21
DATA winoQ01<>+56(SB)/4, $25
DATA winoQ01<>+60(SB)/4, $29
GLOBL winoQ01<>(SB), RODATA|NOPTR, $64
DATA winoQ23<>+0(SB)/4, $2
DATA winoQ23<>+4(SB)/4, $6
DATA winoQ23<>+8(SB)/4, $10
DATA winoQ23<>+12(SB)/4, $14
DATA winoQ23<>+16(SB)/4, $18
DATA winoQ23<>+20(SB)/4, $22
DATA winoQ23<>+24(SB)/4, $26
DATA winoQ23<>+28(SB)/4, $30
DATA winoQ23<>+32(SB)/4, $3
DATA winoQ23<>+36(SB)/4, $7
DATA winoQ23<>+40(SB)/4, $11
DATA winoQ23<>+44(SB)/4, $15
DATA winoQ23<>+48(SB)/4, $19
DATA winoQ23<>+52(SB)/4, $23
DATA winoQ23<>+56(SB)/4, $27
DATA winoQ23<>+60(SB)/4, $31
GLOBL winoQ23<>(SB), RODATA|NOPTR, $64

// Interleaving: from Q01 = (y0[0…7], y1[0…7]) and Q23 = (y2[0…7], y3[0…7]), winoIA gives the
// pixels 4t+l of tiles t < 4 (y_l[t]), winoIB those of tiles 4 … 7.
DATA winoIA<>+0(SB)/4, $0
DATA winoIA<>+4(SB)/4, $8
DATA winoIA<>+8(SB)/4, $16
DATA winoIA<>+12(SB)/4, $24
DATA winoIA<>+16(SB)/4, $1
DATA winoIA<>+20(SB)/4, $9
DATA winoIA<>+24(SB)/4, $17
DATA winoIA<>+28(SB)/4, $25
DATA winoIA<>+32(SB)/4, $2
DATA winoIA<>+36(SB)/4, $10
DATA winoIA<>+40(SB)/4, $18
DATA winoIA<>+44(SB)/4, $26
DATA winoIA<>+48(SB)/4, $3
DATA winoIA<>+52(SB)/4, $11
DATA winoIA<>+56(SB)/4, $19
DATA winoIA<>+60(SB)/4, $27
GLOBL winoIA<>(SB), RODATA|NOPTR, $64
DATA winoIB<>+0(SB)/4, $4
DATA winoIB<>+4(SB)/4, $12
DATA winoIB<>+8(SB)/4, $20
DATA winoIB<>+12(SB)/4, $28
DATA winoIB<>+16(SB)/4, $5
DATA winoIB<>+20(SB)/4, $13
DATA winoIB<>+24(SB)/4, $21
DATA winoIB<>+28(SB)/4, $29
DATA winoIB<>+32(SB)/4, $6
DATA winoIB<>+36(SB)/4, $14
DATA winoIB<>+40(SB)/4, $22
DATA winoIB<>+44(SB)/4, $30
DATA winoIB<>+48(SB)/4, $7
DATA winoIB<>+52(SB)/4, $15
DATA winoIB<>+56(SB)/4, $23
DATA winoIB<>+60(SB)/4, $31
GLOBL winoIB<>(SB), RODATA|NOPTR, $64

// WIN_IN sets Z6…Z11 to the 1-D input transform Bᵀx of x = Z0…Z5 (winoIn), with Z31 = 4,
// Z30 = 5, Z29 = 2; it clobbers Z12…Z15.
#define WIN_IN \
	VSUBPS       Z2, Z4, Z12 \
	VMOVAPS      Z4, Z6 \
	VFMADD231PS  Z31, Z0, Z6 \
	VFNMADD231PS Z30, Z2, Z6 \
	VADDPS       Z2, Z1, Z13 \
	VSUBPS       Z2, Z1, Z14 \
	VADDPS       Z3, Z4, Z7 \
	VFNMADD231PS Z31, Z13, Z7 \
	VSUBPS       Z3, Z4, Z8 \
	VFMADD231PS  Z31, Z14, Z8 \
	VSUBPS       Z1, Z3, Z15 \
	VMOVAPS      Z12, Z9 \
	VFMADD231PS  Z29, Z15, Z9 \
	VMOVAPS      Z12, Z10 \
	VFNMADD231PS Z29, Z15, Z10 \
	VMOVAPS      Z5, Z11 \
	VFMADD231PS  Z31, Z1, Z11 \
	VFNMADD231PS Z30, Z3, Z11

// WIN_OUT sets Z6…Z9 to the 1-D output transform Aᵀx of x = Z0…Z5 (winoOut), with Z31 = 4,
// Z29 = 2, Z30 = 8; it clobbers Z10…Z13.
#define WIN_OUT \
	VADDPS      Z2, Z1, Z10 \
	VSUBPS      Z2, Z1, Z11 \
	VADDPS      Z4, Z3, Z12 \
	VSUBPS      Z4, Z3, Z13 \
	VADDPS      Z10, Z0, Z6 \
	VADDPS      Z12, Z6, Z6 \
	VMOVAPS     Z11, Z7 \
	VFMADD231PS Z29, Z13, Z7 \
	VMOVAPS     Z10, Z8 \
	VFMADD231PS Z31, Z12, Z8 \
	VMOVAPS     Z11, Z9 \
	VFMADD231PS Z30, Z13, Z9 \
	VADDPS      Z5, Z9, Z9

// func winoInAVX512(dst *float32, sxi int, src *float32, ld, n int, edge uint64)
// Transforms 16 tiles whose input rows start at src (the element of column 0 of tile 0's first
// row, rows ld bytes apart; src[−16…−1] and the 80 floats from src of each of the six rows
// readable): tile t's columns 0 … 3 are src[4t … 4t+3] of each row, its column −1 is
// src[4t−1] where bit t of edge is set (else 0) and its column 4 is src[4t+4] where bit 16+t is
// set (else 0). (Bᵀ d B)_ξ of tile t goes to dst[ξ·sxi/4 + t] for t < n.
TEXT ·winoInAVX512(SB), 0, $2304-48
	MOVL $0x40800000, AX
	VPBROADCASTD AX, Z31
	MOVL $0x40a00000, AX
	VPBROADCASTD AX, Z30
	MOVL $0x40000000, AX
	VPBROADCASTD AX, Z29
	VMOVUPS winoQ01<>(SB), Z28
	VMOVUPS winoQ23<>(SB), Z27
	MOVQ edge+40(FP), AX
	KMOVW AX, K2
	SHRQ $16, AX
	KMOVW AX, K3
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), BX
	MOVQ SP, DI
	MOVQ $6, CX
inrows:
	// Row i: deinterleave 64 columns into x1…x4, x0 and x5 one tile over, then Bᵀ along it.
	VMOVUPS 0(SI), Z16
	VMOVUPS 64(SI), Z17
	VMOVUPS 128(SI), Z18
	VMOVUPS 192(SI), Z19
	VMOVUPS 256(SI), Z24
	VMOVAPS Z28, Z20
	VPERMI2PS Z17, Z16, Z20
	VMOVAPS Z27, Z21
	VPERMI2PS Z17, Z16, Z21
	VMOVAPS Z28, Z22
	VPERMI2PS Z19, Z18, Z22
	VMOVAPS Z27, Z23
	VPERMI2PS Z19, Z18, Z23
	VSHUFF32X4 $0x44, Z22, Z20, Z1
	VSHUFF32X4 $0xEE, Z22, Z20, Z2
	VSHUFF32X4 $0x44, Z23, Z21, Z3
	VSHUFF32X4 $0xEE, Z23, Z21, Z4
	VALIGND.Z $15, -64(SI), Z4, K2, Z0
	VALIGND.Z $1, Z1, Z24, K3, Z5
	WIN_IN
	VMOVUPS Z6, 0(DI)
	VMOVUPS Z7, 64(DI)
	VMOVUPS Z8, 128(DI)
	VMOVUPS Z9, 192(DI)
	VMOVUPS Z10, 256(DI)
	VMOVUPS Z11, 320(DI)
	ADDQ BX, SI
	ADDQ $384, DI
	DECQ CX
	JNZ  inrows

	MOVQ n+32(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ dst+0(FP), DX
	MOVQ sxi+8(FP), AX
	LEAQ (AX)(AX*2), R8
	SHLQ $1, R8 // 6·sxi: from ξ to ξ+6
	MOVQ SP, DI
	MOVQ $6, CX
incols:
	// Column j: Bᵀ down it, to ξ = 6k + j.
	VMOVUPS 0(DI), Z0
	VMOVUPS 384(DI), Z1
	VMOVUPS 768(DI), Z2
	VMOVUPS 1152(DI), Z3
	VMOVUPS 1536(DI), Z4
	VMOVUPS 1920(DI), Z5
	WIN_IN
	MOVQ DX, R9
	VMOVUPS Z6, K1, (R9)
	ADDQ R8, R9
	VMOVUPS Z7, K1, (R9)
	ADDQ R8, R9
	VMOVUPS Z8, K1, (R9)
	ADDQ R8, R9
	VMOVUPS Z9, K1, (R9)
	ADDQ R8, R9
	VMOVUPS Z10, K1, (R9)
	ADDQ R8, R9
	VMOVUPS Z11, K1, (R9)
	ADDQ AX, DX
	ADDQ $64, DI
	DECQ CX
	JNZ  incols
	VZEROUPPER
	RET

// func winoOutAVX512(out *float32, ldo int, m *float32, sxi int)
// Transforms the products of 16 tiles back (M_ξ of tile t at m[ξ·sxi/4 + t]) and stores the
// output tiles y = Aᵀ M A, row i of tile t at out[i·ldo/4 + 4t …], rows ldo bytes apart.
TEXT ·winoOutAVX512(SB), 0, $1536-32
	MOVL $0x40800000, AX
	VPBROADCASTD AX, Z31
	MOVL $0x41000000, AX
	VPBROADCASTD AX, Z30
	MOVL $0x40000000, AX
	VPBROADCASTD AX, Z29
	VMOVUPS winoIA<>(SB), Z26
	VMOVUPS winoIB<>(SB), Z25
	MOVQ m+16(FP), SI
	MOVQ sxi+24(FP), AX
	LEAQ (AX)(AX*2), R8
	SHLQ $1, R8 // 6·sxi
	MOVQ SP, DI
	MOVQ $6, CX
outcols:
	// Column j: Aᵀ down M_{6k+j}, to e[i][j] at SP + (6i + j)·64.
	MOVQ SI, R9
	VMOVUPS (R9), Z0
	ADDQ R8, R9
	VMOVUPS (R9), Z1
	ADDQ R8, R9
	VMOVUPS (R9), Z2
	ADDQ R8, R9
	VMOVUPS (R9), Z3
	ADDQ R8, R9
	VMOVUPS (R9), Z4
	ADDQ R8, R9
	VMOVUPS (R9), Z5
	WIN_OUT
	VMOVUPS Z6, 0(DI)
	VMOVUPS Z7, 384(DI)
	VMOVUPS Z8, 768(DI)
	VMOVUPS Z9, 1152(DI)
	ADDQ AX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  outcols

	MOVQ out+0(FP), DX
	MOVQ ldo+8(FP), BX
	MOVQ $4, CX
	MOVQ SP, DI
outrows:
	// Row i: Aᵀ along e[i][·], interleave the tiles' four pixels.
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	WIN_OUT
	VSHUFF32X4 $0x44, Z7, Z6, Z14
	VSHUFF32X4 $0x44, Z9, Z8, Z15
	VSHUFF32X4 $0xEE, Z7, Z6, Z16
	VSHUFF32X4 $0xEE, Z9, Z8, Z17
	VMOVAPS Z26, Z18
	VPERMI2PS Z15, Z14, Z18
	VMOVAPS Z25, Z19
	VPERMI2PS Z15, Z14, Z19
	VMOVAPS Z26, Z20
	VPERMI2PS Z17, Z16, Z20
	VMOVAPS Z25, Z21
	VPERMI2PS Z17, Z16, Z21
	VMOVUPS Z18, 0(DX)
	VMOVUPS Z19, 64(DX)
	VMOVUPS Z20, 128(DX)
	VMOVUPS Z21, 192(DX)
	ADDQ BX, DX
	ADDQ $384, DI
	DECQ CX
	JNZ  outrows
	VZEROUPPER
	RET

// func winoStoreAVX512(dst, src, res *float32, n int, bias float32, relu bool)
// dst[j] = ReLU?(src[j] + (bias + res[j])) for j < n (res nil: src[j] + bias), as gemm.Fused's
// epilogue (VMAXPS keeps a NaN).
TEXT ·winoStoreAVX512(SB), NOSPLIT, $0-37
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ res+16(FP), R10
	MOVQ n+24(FP), CX
	VBROADCASTSS bias+32(FP), Z28
	MOVBLZX relu+36(FP), R11
	VPXORD Z24, Z24, Z24
	MOVQ $-1, AX
	KMOVW AX, K1
storeloop:
	CMPQ CX, $16
	JGE  storevec
	TESTQ CX, CX
	JZ    storedone
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	MOVQ $16, CX
storevec:
	VMOVUPS.Z (SI), K1, Z0
	VMOVAPS Z28, Z1
	TESTQ R10, R10
	JZ    storebias
	VADDPS.Z (R10), Z28, K1, Z1
	ADDQ $64, R10
storebias:
	VADDPS Z1, Z0, Z0
	TESTQ R11, R11
	JZ    storeput
	VMAXPS Z0, Z24, Z0
storeput:
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  storeloop
storedone:
	VZEROUPPER
	RET
