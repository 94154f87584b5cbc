//go:build !noasm

#include "textflag.h"

// Indices for VPERMT2PS over two vectors (32 floats): the even and the odd ones.
DATA evens<>+0(SB)/4, $0
DATA evens<>+4(SB)/4, $2
DATA evens<>+8(SB)/4, $4
DATA evens<>+12(SB)/4, $6
DATA evens<>+16(SB)/4, $8
DATA evens<>+20(SB)/4, $10
DATA evens<>+24(SB)/4, $12
DATA evens<>+28(SB)/4, $14
DATA evens<>+32(SB)/4, $16
DATA evens<>+36(SB)/4, $18
DATA evens<>+40(SB)/4, $20
DATA evens<>+44(SB)/4, $22
DATA evens<>+48(SB)/4, $24
DATA evens<>+52(SB)/4, $26
DATA evens<>+56(SB)/4, $28
DATA evens<>+60(SB)/4, $30
GLOBL evens<>(SB), RODATA|NOPTR, $64

// For VPERMPS within one vector: evens in the low half, odds in the high half.
DATA halves<>+0(SB)/4, $0
DATA halves<>+4(SB)/4, $2
DATA halves<>+8(SB)/4, $4
DATA halves<>+12(SB)/4, $6
DATA halves<>+16(SB)/4, $8
DATA halves<>+20(SB)/4, $10
DATA halves<>+24(SB)/4, $12
DATA halves<>+28(SB)/4, $14
DATA halves<>+32(SB)/4, $1
DATA halves<>+36(SB)/4, $3
DATA halves<>+40(SB)/4, $5
DATA halves<>+44(SB)/4, $7
DATA halves<>+48(SB)/4, $9
DATA halves<>+52(SB)/4, $11
DATA halves<>+56(SB)/4, $13
DATA halves<>+60(SB)/4, $15
GLOBL halves<>(SB), RODATA|NOPTR, $64

// func phasesAVX512(src *float32, w, rows int, d0, d1, d2, d3 *float32)
//
// For y < rows and x < w/2: d0[y*w/2+x] = src[2y*w+2x], d1[…] = src[2y*w+2x+1],
// d2[…] = src[(2y+1)*w+2x], d3[…] = src[(2y+1)*w+2x+1]: the four phase planes
// of a 2·rows × w plane. w is even; the last w mod 32 floats of a row are read and written
// under masks.
// Requires: AVX512F
TEXT ·phasesAVX512(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ w+8(FP), DX
	MOVQ rows+16(FP), CX
	MOVQ d0+24(FP), R8
	MOVQ d1+32(FP), R9
	MOVQ d2+40(FP), R10
	MOVQ d3+48(FP), R11
	TESTQ CX, CX
	JZ done
	CMPQ DX, $16
	JEQ w16

	VMOVDQU32 evens<>(SB), Z30
	MOVL $1, AX
	VPBROADCASTD AX, Z31
	VPADDD Z31, Z30, Z31 // odds
	MOVQ DX, R12
	SHLQ $2, R12         // w in bytes
	MOVQ DX, R13
	SHRQ $5, R13         // chunks of 32 per row
	// Masks of the last w mod 32 = r floats: K3 the first min(r, 16) of a load, K4 the rest,
	// K5 the r/2 of a store.
	MOVQ CX, BX          // rows, while CX counts shifts
	MOVQ DX, R14
	ANDQ $31, R14
	MOVQ R14, R15
	SHRQ $1, R15
	MOVQ $1, AX
	MOVQ R15, CX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K5
	MOVQ $16, R15
	CMPQ R14, R15
	CMOVQLT R14, R15
	MOVQ $1, AX
	MOVQ R15, CX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K3
	MOVQ R14, R15
	SUBQ $16, R15
	MOVQ $0, AX
	CMPQ R15, $0
	JLE  masked
	MOVQ $1, AX
	MOVQ R15, CX
	SHLQ CX, AX
	DECQ AX
masked:
	KMOVW AX, K4
	MOVQ BX, CX

rows32:
	// Row 2y to d0/d1, row 2y+1 to d2/d3, 32 floats at a time.
	MOVQ R13, BX
	MOVQ SI, AX
	LEAQ (SI)(R12*1), DI
	TESTQ BX, BX
	JZ   tail32

chunk32:
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS Z2, (R8)
	VMOVUPS Z0, (R9)
	VMOVUPS (DI), Z3
	VMOVUPS 64(DI), Z4
	VMOVAPS Z3, Z5
	VPERMT2PS Z4, Z30, Z5
	VPERMT2PS Z4, Z31, Z3
	VMOVUPS Z5, (R10)
	VMOVUPS Z3, (R11)
	ADDQ $128, AX
	ADDQ $128, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ BX
	JNZ chunk32
tail32:
	TESTQ R14, R14
	JZ   rowdone
	VMOVUPS.Z (AX), K3, Z0
	VMOVUPS.Z 64(AX), K4, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS Z2, K5, (R8)
	VMOVUPS Z0, K5, (R9)
	VMOVUPS.Z (DI), K3, Z3
	VMOVUPS.Z 64(DI), K4, Z4
	VMOVAPS Z3, Z5
	VPERMT2PS Z4, Z30, Z5
	VPERMT2PS Z4, Z31, Z3
	VMOVUPS Z5, K5, (R10)
	VMOVUPS Z3, K5, (R11)
	MOVQ R14, BX
	SHLQ $1, BX          // r/2 floats = 2r bytes
	ADDQ BX, R8
	ADDQ BX, R9
	ADDQ BX, R10
	ADDQ BX, R11
rowdone:
	LEAQ (SI)(R12*2), SI
	DECQ CX
	JNZ rows32
	JMP done

w16:
	VMOVDQU32 halves<>(SB), Z30

rows16:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VPERMPS Z0, Z30, Z2
	VPERMPS Z1, Z30, Z3
	VMOVUPS Y2, (R8)
	VEXTRACTF64X4 $1, Z2, Y4
	VMOVUPS Y4, (R9)
	VMOVUPS Y3, (R10)
	VEXTRACTF64X4 $1, Z3, Y5
	VMOVUPS Y5, (R11)
	ADDQ $128, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ rows16

done:
	VZEROUPPER
	RET
