//go:build !noasm

#include "textflag.h"

// Depthwise convolution in AVX2 and FMA (depthwise_avx2_amd64.go).

// func dwConvAVX2(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)
//
// For q < n (a multiple of 16): grid[q] = min(max(bias + Σ_t w[t]·pad[q+off[t]], lo), hi),
// the taps in order, fused multiply-adds, as dwConvAVX512: 64 outputs at a time in eight
// accumulators of 8 (each tap's weight broadcast once for them), then 8.
TEXT ·dwConvAVX2(SB), NOSPLIT, $0-60
	MOVQ         grid+0(FP), DI
	MOVQ         pad+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVQ         off+24(FP), R8
	MOVQ         w+32(FP), R9
	MOVQ         taps+40(FP), DX
	VBROADCASTSS bias+48(FP), Y13
	VBROADCASTSS lo+52(FP), Y14
	VBROADCASTSS hi+56(FP), Y15

block64:
	CMPQ    CX, $64
	JLT     block8
	VMOVAPS Y13, Y0
	VMOVAPS Y13, Y1
	VMOVAPS Y13, Y2
	VMOVAPS Y13, Y3
	VMOVAPS Y13, Y4
	VMOVAPS Y13, Y5
	VMOVAPS Y13, Y6
	VMOVAPS Y13, Y7
	XORQ    BX, BX

taps64:
	MOVLQSX      (R8)(BX*4), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R9)(BX*4), Y8
	VFMADD231PS  (AX), Y8, Y0
	VFMADD231PS  32(AX), Y8, Y1
	VFMADD231PS  64(AX), Y8, Y2
	VFMADD231PS  96(AX), Y8, Y3
	VFMADD231PS  128(AX), Y8, Y4
	VFMADD231PS  160(AX), Y8, Y5
	VFMADD231PS  192(AX), Y8, Y6
	VFMADD231PS  224(AX), Y8, Y7
	INCQ         BX
	CMPQ         BX, DX
	JLT          taps64
	VMAXPS       Y0, Y14, Y0
	VMAXPS       Y1, Y14, Y1
	VMAXPS       Y2, Y14, Y2
	VMAXPS       Y3, Y14, Y3
	VMAXPS       Y4, Y14, Y4
	VMAXPS       Y5, Y14, Y5
	VMAXPS       Y6, Y14, Y6
	VMAXPS       Y7, Y14, Y7
	VMINPS       Y0, Y15, Y0
	VMINPS       Y1, Y15, Y1
	VMINPS       Y2, Y15, Y2
	VMINPS       Y3, Y15, Y3
	VMINPS       Y4, Y15, Y4
	VMINPS       Y5, Y15, Y5
	VMINPS       Y6, Y15, Y6
	VMINPS       Y7, Y15, Y7
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y4, 128(DI)
	VMOVUPS      Y5, 160(DI)
	VMOVUPS      Y6, 192(DI)
	VMOVUPS      Y7, 224(DI)
	ADDQ         $256, SI
	ADDQ         $256, DI
	SUBQ         $64, CX
	JMP          block64

block8:
	CMPQ    CX, $8
	JLT     done
	VMOVAPS Y13, Y0
	XORQ    BX, BX

taps8:
	MOVLQSX      (R8)(BX*4), AX
	VBROADCASTSS (R9)(BX*4), Y8
	VFMADD231PS  (SI)(AX*4), Y8, Y0
	INCQ         BX
	CMPQ         BX, DX
	JLT          taps8
	VMAXPS       Y0, Y14, Y0
	VMINPS       Y0, Y15, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          block8

done:
	VZEROUPPER
	RET

// Indices for VPERMPS: a vector's even elements to its low half, its odd ones to its high half.
DATA dwSplit<>+0(SB)/4, $0
DATA dwSplit<>+4(SB)/4, $2
DATA dwSplit<>+8(SB)/4, $4
DATA dwSplit<>+12(SB)/4, $6
DATA dwSplit<>+16(SB)/4, $1
DATA dwSplit<>+20(SB)/4, $3
DATA dwSplit<>+24(SB)/4, $5
DATA dwSplit<>+28(SB)/4, $7
GLOBL dwSplit<>(SB), RODATA|NOPTR, $32

// func deinterleaveAVX2(ev, od *float32, src *float32, n int)
//
// The n floats of src (a multiple of 16): the even ones to ev, the odd ones to od, 16 at a
// time (VPERMPS splits each vector of 8 into its evens and odds, VPERM2F128 joins the halves).
TEXT ·deinterleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ    ev+0(FP), DI
	MOVQ    od+8(FP), DX
	MOVQ    src+16(FP), SI
	MOVQ    n+24(FP), CX
	VMOVUPS dwSplit<>(SB), Y7
	SHRQ    $4, CX
	JZ      done

loop:
	VPERMPS    (SI), Y7, Y0
	VPERMPS    32(SI), Y7, Y1
	VPERM2F128 $0x20, Y1, Y0, Y2
	VPERM2F128 $0x31, Y1, Y0, Y3
	VMOVUPS    Y2, (DI)
	VMOVUPS    Y3, (DX)
	ADDQ       $64, SI
	ADDQ       $32, DI
	ADDQ       $32, DX
	DECQ       CX
	JNZ        loop

done:
	VZEROUPPER
	RET
