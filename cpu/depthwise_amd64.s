//go:build !noasm

#include "textflag.h"

// func dwConvAVX512(grid, pad *float32, n int, off *int32, w *float32, taps int, bias, lo, hi float32)
//
// For q < n (a multiple of 16): grid[q] = min(max(bias + Σ_t w[t]·pad[q+off[t]], lo), hi),
// the taps in order, fused multiply-adds; 128 outputs at a time in eight accumulators (each
// tap's weight broadcast once for them: eight independent chains of FMAs), then 64, then 16. NaN is kept by the clamp as by clampAVX512.
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

block128:
	CMPQ    CX, $128
	JLT     block64
	VMOVAPS Z28, Z0
	VMOVAPS Z28, Z1
	VMOVAPS Z28, Z2
	VMOVAPS Z28, Z3
	VMOVAPS Z28, Z4
	VMOVAPS Z28, Z5
	VMOVAPS Z28, Z6
	VMOVAPS Z28, Z7
	XORQ    BX, BX

taps128:
	MOVLQSX      (R8)(BX*4), AX
	LEAQ         (SI)(AX*4), AX
	VBROADCASTSS (R9)(BX*4), Z8
	VFMADD231PS  (AX), Z8, Z0
	VFMADD231PS  64(AX), Z8, Z1
	VFMADD231PS  128(AX), Z8, Z2
	VFMADD231PS  192(AX), Z8, Z3
	VFMADD231PS  256(AX), Z8, Z4
	VFMADD231PS  320(AX), Z8, Z5
	VFMADD231PS  384(AX), Z8, Z6
	VFMADD231PS  448(AX), Z8, Z7
	INCQ         BX
	CMPQ         BX, DX
	JLT          taps128
	VMAXPS       Z0, Z29, Z0
	VMAXPS       Z1, Z29, Z1
	VMAXPS       Z2, Z29, Z2
	VMAXPS       Z3, Z29, Z3
	VMAXPS       Z4, Z29, Z4
	VMAXPS       Z5, Z29, Z5
	VMAXPS       Z6, Z29, Z6
	VMAXPS       Z7, Z29, Z7
	VMINPS       Z0, Z30, Z0
	VMINPS       Z1, Z30, Z1
	VMINPS       Z2, Z30, Z2
	VMINPS       Z3, Z30, Z3
	VMINPS       Z4, Z30, Z4
	VMINPS       Z5, Z30, Z5
	VMINPS       Z6, Z30, Z6
	VMINPS       Z7, Z30, Z7
	VMOVUPS      Z0, (DI)
	VMOVUPS      Z1, 64(DI)
	VMOVUPS      Z2, 128(DI)
	VMOVUPS      Z3, 192(DI)
	VMOVUPS      Z4, 256(DI)
	VMOVUPS      Z5, 320(DI)
	VMOVUPS      Z6, 384(DI)
	VMOVUPS      Z7, 448(DI)
	ADDQ         $512, SI
	ADDQ         $512, DI
	SUBQ         $128, CX
	JMP          block128

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

// MASKCX sets mask register k to the low CX bits (CX ≤ 16). Uses AX.
#define MASKCX(k) MOVL $1, AX; SHLL CX, AX; DECL AX; KMOVW AX, k

// func copyRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)
//
// dst[r*ldd+i] = src[r*lds+i] for r < rows, i < cols: 16 floats at a time, each row's last
// group masked.
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), R10
	MOVQ cols+40(FP), R11
	SHLQ $2, R8
	SHLQ $2, R9
	MOVQ R11, CX
	ANDQ $15, CX
	MASKCX(K1)
	TESTQ R10, R10
	JZ    done

row:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R11, CX

chunk:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (AX), Z0
	VMOVUPS Z0, (DX)
	ADDQ    $64, AX
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     chunk

tail:
	TESTQ     CX, CX
	JZ        next
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS   Z0, K1, (DX)

next:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ R10
	JNZ  row

done:
	VZEROUPPER
	RET

// func deinterleaveRowsAVX512(ev, od *float32, ldd int, src *float32, lds int, rows, n int)
//
// For r < rows, the n floats of row r of src (src + r·lds): its even elements to ev + r·ldd,
// its odd ones to od + r·ldd. 32 input floats at a time (VPERMT2PS), each row's last group
// masked: K1, K2 its loads, K3, K4 its even and odd stores.
TEXT ·deinterleaveRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ         ev+0(FP), DI
	MOVQ         od+8(FP), R14
	MOVQ         ldd+16(FP), R8
	MOVQ         src+24(FP), SI
	MOVQ         lds+32(FP), R9
	MOVQ         rows+40(FP), R10
	MOVQ         n+48(FP), R12
	SHLQ         $2, R8
	SHLQ         $2, R9
	VMOVDQU32    dwEvens<>(SB), Z30
	MOVL         $1, AX
	VPBROADCASTD AX, Z31
	VPADDD       Z31, Z30, Z31 // odds
	MOVQ         R12, R13
	ANDQ         $31, R13      // m: floats in each row's last group
	SHRQ         $5, R12       // whole groups of 32 per row
	MOVQ         R13, CX
	CMPQ         CX, $16
	JLE          m1
	MOVQ         $16, CX

m1:
	MASKCX(K1)
	MOVQ R13, CX
	SUBQ $16, CX
	JGE  m2
	XORQ CX, CX

m2:
	MASKCX(K2)
	MOVQ R13, CX
	INCQ CX
	SHRQ $1, CX
	MASKCX(K3)
	MOVQ R13, CX
	SHRQ $1, CX
	MASKCX(K4)
	TESTQ R10, R10
	JZ    done

row:
	MOVQ  SI, AX
	MOVQ  DI, DX
	MOVQ  R14, BX
	MOVQ  R12, CX
	TESTQ CX, CX
	JZ    rtail

chunk:
	VMOVUPS   (AX), Z0
	VMOVUPS   64(AX), Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS   Z2, (DX)
	VMOVUPS   Z0, (BX)
	ADDQ      $128, AX
	ADDQ      $64, DX
	ADDQ      $64, BX
	DECQ      CX
	JNZ       chunk

rtail:
	TESTQ     R13, R13
	JZ        next
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z 64(AX), K2, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z30, Z2
	VPERMT2PS Z1, Z31, Z0
	VMOVUPS   Z2, K3, (DX)
	VMOVUPS   Z0, K4, (BX)

next:
	ADDQ R9, SI
	ADDQ R8, DI
	ADDQ R8, R14
	DECQ R10
	JNZ  row

done:
	VZEROUPPER
	RET
