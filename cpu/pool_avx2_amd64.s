//go:build !noasm

#include "textflag.h"

// Max pooling's row kernels in AVX2 (pool_avx2_amd64.go).

// Indices for VPERMPS: a vector's even elements to its low half, its odd ones to its high half.
DATA poolSplit<>+0(SB)/4, $0
DATA poolSplit<>+4(SB)/4, $2
DATA poolSplit<>+8(SB)/4, $4
DATA poolSplit<>+12(SB)/4, $6
DATA poolSplit<>+16(SB)/4, $1
DATA poolSplit<>+20(SB)/4, $3
DATA poolSplit<>+24(SB)/4, $5
DATA poolSplit<>+28(SB)/4, $7
GLOBL poolSplit<>(SB), RODATA|NOPTR, $32

// NANMAX2 sets acc to the maximum of acc and v, NaN if either is NaN (VMAXPS returns acc when
// either is NaN; then a NaN v is blended in). Uses Y6.
#define NANMAX2(v, acc) \
	VMAXPS    acc, v, acc \
	VCMPPS    $3, v, v, Y6 \
	VBLENDVPS Y6, v, acc, acc

// EVENS2 sets y to the 8 even floats of the 16 at (r) (Y7 holds poolSplit). Uses Y5.
#define EVENS2(r, y) \
	VPERMPS    (r), Y7, y \
	VPERMPS    32(r), Y7, Y5 \
	VPERM2F128 $0x20, Y5, y, y

// func maxIntoAVX2(dst, src *float32, n int)
// dst[i] = max(dst[i], src[i]) for i < n (a multiple of 8), NaN if either is NaN.
TEXT ·maxIntoAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	NANMAX2(Y1, Y0)
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func maxWindowAVX2(out, cm *float32, n, kw, sw int)
// out[o] = max over t < kw of cm[o·sw + t] for o < n (a multiple of 8), NaN if any is NaN;
// sw is 1 or 2. It reads cm up to element sw·n + kw + 16.
TEXT ·maxWindowAVX2(SB), NOSPLIT, $0-40
	MOVQ    out+0(FP), DI
	MOVQ    cm+8(FP), SI
	MOVQ    n+16(FP), CX
	MOVQ    kw+24(FP), DX
	MOVQ    sw+32(FP), BX
	VMOVUPS poolSplit<>(SB), Y7
	SHRQ    $3, CX
	JZ      done

block:
	MOVQ SI, R8
	MOVQ DX, R9
	CMPQ BX, $2
	JEQ  s2first
	VMOVUPS (R8), Y0
	JMP  next

s2first:
	EVENS2(R8, Y0)

next:
	ADDQ $4, R8
	DECQ R9
	JZ   store
	CMPQ BX, $2
	JEQ  s2
	VMOVUPS (R8), Y1
	NANMAX2(Y1, Y0)
	JMP  next

s2:
	EVENS2(R8, Y1)
	NANMAX2(Y1, Y0)
	JMP  next

store:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	MOVQ    BX, AX
	SHLQ    $5, AX
	ADDQ    AX, SI
	DECQ    CX
	JNZ     block

done:
	VZEROUPPER
	RET
