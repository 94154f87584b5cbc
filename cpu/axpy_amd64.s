//go:build !noasm

#include "textflag.h"

// func axpyAVX512(dst, src *float32, n int, a float32)
//
// dst[i] += a·src[i] for i < n, 16 at a time (the last group masked), as a multiply then an
// add (VMULPS, VADDPS: the roundings of Go's dst[i] += a*src[i] on amd64, no fused
// multiply-add).
TEXT ·axpyAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Z2
	CMPQ         CX, $16
	JLT          tail

loop:
	VMULPS  (SI), Z2, Z0
	VADDPS  (DI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z1
	VMULPS    Z1, Z2, Z0
	VMOVUPS.Z (DI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET
