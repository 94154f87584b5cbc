//go:build !noasm

#include "textflag.h"

// func transpose8(kc int, src *float32, lds int, dst *float32, ldd int)
//
// For j < 8 and p < kc&^7, sets dst[p*ldd+j] = src[j*lds+p]: the eight rows
// of src, each kc long, become eight-float rows of dst, using 8×8 transposes.
// Requires: AVX
TEXT ·transpose8(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	SHRQ $3, CX
	JZ   done
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R11     // 3·lds
	LEAQ (SI)(DX*4), R9      // row 4
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R12   // 3·ldd
	LEAQ (R10)(R10*4), R13   // 5·ldd
	LEAQ (R12)(R12*2), BX   // 9·ldd
	SUBQ R10, BX            // 8·ldd: advance of dst per block

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(DX*1), Y1
	VMOVUPS (SI)(DX*2), Y2
	VMOVUPS (SI)(R11*1), Y3
	VMOVUPS (R9), Y4
	VMOVUPS (R9)(DX*1), Y5
	VMOVUPS (R9)(DX*2), Y6
	VMOVUPS (R9)(R11*1), Y7

	VUNPCKLPS Y1, Y0, Y8     // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y1, Y0, Y9     // a2 b2 a3 b3 | a6 b6 a7 b7
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0  // a0 b0 c0 d0 | a4 b4 c4 d4
	VSHUFPS $0xEE, Y10, Y8, Y1  // a1 b1 c1 d1 | a5 b5 c5 d5
	VSHUFPS $0x44, Y11, Y9, Y2  // a2 .. | a6 ..
	VSHUFPS $0xEE, Y11, Y9, Y3  // a3 .. | a7 ..
	VSHUFPS $0x44, Y14, Y12, Y4 // e0 f0 g0 h0 | e4 f4 g4 h4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8  // column 0
	VPERM2F128 $0x20, Y5, Y1, Y9  // column 1
	VPERM2F128 $0x20, Y6, Y2, Y10 // column 2
	VPERM2F128 $0x20, Y7, Y3, Y11 // column 3
	VPERM2F128 $0x31, Y4, Y0, Y12 // column 4
	VPERM2F128 $0x31, Y5, Y1, Y13 // column 5
	VPERM2F128 $0x31, Y6, Y2, Y14 // column 6
	VPERM2F128 $0x31, Y7, Y3, Y15 // column 7

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R10*1)
	VMOVUPS Y10, (DI)(R10*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (DI)(R10*4)
	VMOVUPS Y13, (DI)(R13*1)
	VMOVUPS Y14, (DI)(R12*2)
	LEAQ    (DI)(BX*1), R8
	SUBQ    R10, R8
	VMOVUPS Y15, (R8)

	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ BX, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET
