//go:build !noasm

#include "textflag.h"

// func roundBF16AVX512(x *float32, n int)
//
// Rounds x[0:n] (n a multiple of 16) to bfloat16 in place, as RoundBF16: bits b become
// (b + 0x7fff + (b>>16 & 1)) & 0xffff0000, and a NaN (b & 0x7fffffff > 0x7f800000) becomes
// (b | 0x00400000) & 0xffff0000.
TEXT ·roundBF16AVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $4, CX
	JZ   done
	MOVL $0x7fff, AX
	VPBROADCASTD AX, Z4
	MOVL $1, AX
	VPBROADCASTD AX, Z5
	MOVL $0xffff0000, AX
	VPBROADCASTD AX, Z6
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z7
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z8
	MOVL $0x00400000, AX
	VPBROADCASTD AX, Z9

loop:
	VMOVDQU32 (DI), Z0
	VPSRLD    $16, Z0, Z1
	VPANDD    Z5, Z1, Z1
	VPADDD    Z4, Z1, Z1
	VPADDD    Z0, Z1, Z1
	VPANDD    Z7, Z0, Z2
	VPCMPUD   $6, Z8, Z2, K1
	VPORD     Z9, Z0, K1, Z1
	VPANDD    Z6, Z1, Z1
	VMOVDQU32 Z1, (DI)
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER

done:
	RET
