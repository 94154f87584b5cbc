//go:build !noasm

#include "textflag.h"

// func packPairsAVX512(dst *uint32, lo, hi *float32, n int)
//
// dst[j] = (bits(hi[j]) & 0xffff0000) | bits(lo[j]) >> 16 for j < n (a multiple of 16); with
// hi nil, dst[j] = bits(lo[j]) >> 16.
TEXT ·packPairsAVX512(SB), NOSPLIT, $0-32
	MOVQ  dst+0(FP), DI
	MOVQ  lo+8(FP), SI
	MOVQ  hi+16(FP), BX
	MOVQ  n+24(FP), CX
	SHRQ  $4, CX
	JZ    pdone
	MOVL  $0xffff0000, AX
	VPBROADCASTD AX, Z31
	TESTQ BX, BX
	JZ    lonly

ploop:
	VPSRLD     $16, (SI), Z0
	VMOVDQU32  (BX), Z2
	VPTERNLOGD $0xea, Z0, Z31, Z2
	VMOVDQU32  Z2, (DI)
	ADDQ       $64, SI
	ADDQ       $64, BX
	ADDQ       $64, DI
	DECQ       CX
	JNZ        ploop
	JMP        pend

lonly:
	VPSRLD    $16, (SI), Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       lonly

pend:
	VZEROUPPER

pdone:
	RET
