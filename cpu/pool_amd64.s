//go:build !noasm

#include "textflag.h"

// Indices for VPERMT2PS over two vectors (32 floats): the even ones.
DATA poolEvens<>+0(SB)/4, $0
DATA poolEvens<>+4(SB)/4, $2
DATA poolEvens<>+8(SB)/4, $4
DATA poolEvens<>+12(SB)/4, $6
DATA poolEvens<>+16(SB)/4, $8
DATA poolEvens<>+20(SB)/4, $10
DATA poolEvens<>+24(SB)/4, $12
DATA poolEvens<>+28(SB)/4, $14
DATA poolEvens<>+32(SB)/4, $16
DATA poolEvens<>+36(SB)/4, $18
DATA poolEvens<>+40(SB)/4, $20
DATA poolEvens<>+44(SB)/4, $22
DATA poolEvens<>+48(SB)/4, $24
DATA poolEvens<>+52(SB)/4, $26
DATA poolEvens<>+56(SB)/4, $28
DATA poolEvens<>+60(SB)/4, $30
GLOBL poolEvens<>(SB), RODATA|NOPTR, $64

// NANMAX sets acc to the maximum of acc and v, NaN if either is NaN (VMAXPS returns its
// second source, acc, when either is NaN; then a NaN v is copied in under K1).
#define NANMAX(v, acc) \
	VMAXPS acc, v, acc \
	VCMPPS $3, v, v, K1 \
	VMOVAPS v, K1, acc

// func maxIntoAVX512(dst, src *float32, n int)
// dst[i] = max(dst[i], src[i]) for i < n, NaN if either is NaN.
TEXT ·maxIntoAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
loop:
	CMPQ CX, $16
	JLT  tail
	VMOVUPS (DI), Z0
	VMOVUPS (SI), Z1
	NANMAX(Z1, Z0)
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  loop
tail:
	TESTQ CX, CX
	JZ    done
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K2
	VMOVUPS.Z (DI), K2, Z0
	VMOVUPS.Z (SI), K2, Z1
	NANMAX(Z1, Z0)
	VMOVUPS Z0, K2, (DI)
done:
	VZEROUPPER
	RET

// func maxWindowAVX512(out, cm *float32, n, kw, sw int)
// out[o] = max over t < kw of cm[o·sw + t] for o < n, NaN if any is NaN; sw is 1 or 2. It
// reads cm up to element sw·⌈n/16⌉·16 + kw + 16 (whole vectors past the last output).
TEXT ·maxWindowAVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ cm+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ kw+24(FP), DX
	MOVQ sw+32(FP), BX
	VMOVUPS poolEvens<>(SB), Z7
	MOVQ $0xffff, AX
	KMOVW AX, K2
block:
	TESTQ CX, CX
	JLE   done
	CMPQ  CX, $16
	JGE   whole
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K2
whole:
	MOVQ SI, R8
	MOVQ DX, R9
	CMPQ BX, $2
	JEQ  s2first
	VMOVUPS (R8), Z0
	JMP  next
s2first:
	VMOVUPS (R8), Z0
	VMOVUPS 64(R8), Z2
	VPERMT2PS Z2, Z7, Z0
next:
	ADDQ $4, R8
	DECQ R9
	JZ   store
	CMPQ BX, $2
	JEQ  s2
	VMOVUPS (R8), Z1
	NANMAX(Z1, Z0)
	JMP  next
s2:
	VMOVUPS (R8), Z1
	VMOVUPS 64(R8), Z2
	VPERMT2PS Z2, Z7, Z1
	NANMAX(Z1, Z0)
	JMP  next
store:
	VMOVUPS Z0, K2, (DI)
	ADDQ $64, DI
	MOVQ BX, AX
	SHLQ $6, AX
	ADDQ AX, SI
	SUBQ $16, CX
	JMP  block
done:
	VZEROUPPER
	RET
