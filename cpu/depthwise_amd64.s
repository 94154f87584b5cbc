//go:build !noasm

#include "textflag.h"

// func dwConvAVX512(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)
//
// For q < n (a multiple of 16): grid[q] = min(max(bias + Σ_t w[t]·pad[q+off[t]], lo), hi),
// the taps in order, fused multiply-adds; 64 outputs at a time in four accumulators (each
// tap's weight broadcast once for them), then 16. NaN is kept by the clamp as by clampAVX512.
TEXT ·dwConvAVX512(SB), NOSPLIT, $0-60
	MOVQ         grid+0(FP), DI
	MOVQ         pad+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVQ         off+24(FP), R8
	MOVQ         w+32(FP), R9
	MOVQ         taps+40(FP), DX
	VBROADCASTSS bias+48(FP), Z28
	VBROADCASTSS lo+52(FP), Z29
	VBROADCASTSS hi+56(FP), Z30

block64:
	CMPQ    CX, $64
	JLT     block16
	VMOVAPS Z28, Z0
	VMOVAPS Z28, Z1
	VMOVAPS Z28, Z2
	VMOVAPS Z28, Z3
	XORQ    BX, BX

taps64:
	MOVLQSX      (R8)(BX*4), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (AX), Z8, Z0
	VFMADD231PS  64(AX), Z8, Z1
	VFMADD231PS  128(AX), Z8, Z2
	VFMADD231PS  192(AX), Z8, Z3
	INCQ         BX
	CMPQ         BX, DX
	JLT          taps64
	VMAXPS       Z0, Z29, Z0
	VMAXPS       Z1, Z29, Z1
	VMAXPS       Z2, Z29, Z2
	VMAXPS       Z3, Z29, Z3
	VMINPS       Z0, Z30, Z0
	VMINPS       Z1, Z30, Z1
	VMINPS       Z2, Z30, Z2
	VMINPS       Z3, Z30, Z3
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	VMOVUPS      Z2, 128(DI)
	VMOVUPS      Z3, 192(DI)
	ADDQ         $256, SI
	ADDQ         $256, DI
	SUBQ         $64, CX
	JMP          block64

block16:
	CMPQ    CX, $16
	JLT     done
	VMOVAPS Z28, Z0
	XORQ    BX, BX

taps16:
	MOVLQSX      (R8)(BX*4), AX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (SI)(AX*4), Z8, Z0
	INCQ         BX
	CMPQ         BX, DX
	JLT          taps16
	VMAXPS       Z0, Z29, Z0
	VMINPS       Z0, Z30, Z0
	VMOVUPS      Z0, (DI)
	ADDQ         $64, SI
	ADDQ         $64, DI
	SUBQ         $16, CX
	JMP          block16

done:
	VZEROUPPER
	RET

// Indices for VPERMT2PS over two vectors (32 floats): the even and the odd ones.
DATA dwEvens<>+0(SB)/4, $0
DATA dwEvens<>+4(SB)/4, $2
DATA dwEvens<>+8(SB)/4, $4
DATA dwEvens<>+12(SB)/4, $6
DATA dwEvens<>+16(SB)/4, $8
DATA dwEvens<>+20(SB)/4, $10
DATA dwEvens<>+24(SB)/4, $12
DATA dwEvens<>+28(SB)/4, $14
DATA dwEvens<>+32(SB)/4, $16
DATA dwEvens<>+36(SB)/4, $18
DATA dwEvens<>+40(SB)/4, $20
DATA dwEvens<>+44(SB)/4, $22
DATA dwEvens<>+48(SB)/4, $24
DATA dwEvens<>+52(SB)/4, $26
DATA dwEvens<>+56(SB)/4, $28
DATA dwEvens<>+60(SB)/4, $30
GLOBL dwEvens<>(SB), RODATA|NOPTR, $64

// func deinterleaveAVX512(ev, od, src *float32, n int)
//
// ev[i] = src[2i], od[i] = src[2i+1] for i < n (a multiple of 16).
TEXT ·deinterleaveAVX512(SB), NOSPLIT, $0-32
	MOVQ      ev+0(FP), DI
	MOVQ      od+8(FP), DX
	MOVQ      src+16(FP), SI
	MOVQ      n+24(FP), CX
	VMOVDQU32 dwEvens<>(SB), Z30
	MOVL      $1, AX
	VPBROADCASTD AX, Z31
	VPADDD    Z31, Z30, Z31 // odds

loop:
	CMPQ      CX, $16
	JLT       done
	VMOVUPS   (SI), Z0
	VMOVUPS   64(SI), Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS   Z2, (DI)
	VMOVUPS   Z0, (DX)
	ADDQ      $128, SI
	ADDQ      $64, DI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       loop

done:
	VZEROUPPER
	RET
