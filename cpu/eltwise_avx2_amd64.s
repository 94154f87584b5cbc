//go:build !noasm

#include "textflag.h"

// Element-wise layers in AVX2 and FMA (eltwise_avx2_amd64.go): 8 floats at a time, n a
// multiple of 8 (the Go side does the tail). The same operations as eltwise_amd64.s.

// func clampAVX2(dst, src *float32, n int, lo, hi float32)
//
// dst[i] = min(max(src[i], lo), hi), NaN and −0 kept (x the second operand, as clampAVX512).
TEXT ·clampAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Y2
	VBROADCASTSS hi+28(FP), Y3
	SHRQ         $3, CX
	JZ           done

loop:
	VMOVUPS (SI), Y0
	VMAXPS  Y0, Y2, Y0
	VMINPS  Y0, Y3, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func addAVX2(dst, a, b *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func mulAVX2(dst, a, b *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func scaleAVX2(dst, src *float32, n int, f float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS f+24(FP), Y2
	SHRQ         $3, CX
	JZ           done

loop:
	VMULPS  (SI), Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func hardSwishAVX2(dst, src *float32, n int)
//
// dst[i] = float32(x·max(0, min(1, x/6 + 1/2))), x = float64(src[i]): 4 doubles at a time,
// as hardSwishAVX512 (bit for bit with ActivateLayer).
TEXT ·hardSwishAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVQ         $0x4018000000000000, AX // 6
	MOVQ         AX, X6
	VBROADCASTSD X6, Y6
	MOVQ         $0x3fe0000000000000, AX // 0.5
	MOVQ         AX, X7
	VBROADCASTSD X7, Y7
	MOVQ         $0x3ff0000000000000, AX // 1
	MOVQ         AX, X8
	VBROADCASTSD X8, Y8
	VXORPD       Y9, Y9, Y9
	SHRQ         $2, CX
	JZ           done

loop:
	VCVTPS2PD  (SI), Y0
	VDIVPD     Y6, Y0, Y1
	VADDPD     Y7, Y1, Y1
	VMINPD     Y1, Y8, Y1
	VMAXPD     Y1, Y9, Y1
	VMULPD     Y1, Y0, Y1
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        loop

done:
	VZEROUPPER
	RET

// func hardSigmoidAVX2(dst, src *float32, n int, alpha, beta float64)
//
// dst[i] = float32(max(0, min(1, α·x + β))), x = float64(src[i]): as hardSigmoidAVX512.
TEXT ·hardSigmoidAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD alpha+24(FP), Y6
	VBROADCASTSD beta+32(FP), Y7
	MOVQ         $0x3ff0000000000000, AX // 1
	MOVQ         AX, X8
	VBROADCASTSD X8, Y8
	VXORPD       Y9, Y9, Y9
	SHRQ         $2, CX
	JZ           done

loop:
	VCVTPS2PD  (SI), Y0
	VMULPD     Y6, Y0, Y1
	VADDPD     Y7, Y1, Y1
	VMINPD     Y1, Y8, Y1
	VMAXPD     Y1, Y9, Y1
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        loop

done:
	VZEROUPPER
	RET

// Cephes expf's constants (as EXPCONST in eltwise_amd64.s), read by VBROADCASTSS: log2(e),
// C1, C2 (ln 2 = C1 − C2'), p0…p5, 1, −110, the sign bit, 127 + K (the exponent bias plus
// K = 64, int32) and 2^−K.
DATA expAVX2<>+0(SB)/4, $0x3fb8aa3b
DATA expAVX2<>+4(SB)/4, $0x3f318000
DATA expAVX2<>+8(SB)/4, $0xb95e8083
DATA expAVX2<>+12(SB)/4, $0x39506967
DATA expAVX2<>+16(SB)/4, $0x3ab743ce
DATA expAVX2<>+20(SB)/4, $0x3c088908
DATA expAVX2<>+24(SB)/4, $0x3d2aa9c1
DATA expAVX2<>+28(SB)/4, $0x3e2aaaaa
DATA expAVX2<>+32(SB)/4, $0x3f000000
DATA expAVX2<>+36(SB)/4, $0x3f800000
DATA expAVX2<>+40(SB)/4, $0xc2dc0000
DATA expAVX2<>+44(SB)/4, $0x80000000
DATA expAVX2<>+48(SB)/4, $191
DATA expAVX2<>+52(SB)/4, $0x1f800000
GLOBL expAVX2<>(SB), RODATA|NOPTR, $56

// EXPCONST2 loads Y9 log2(e), Y10 C1, Y11 C2, Y12 1, Y13 −110, Y14 the sign bit, Y15 127 + K.
#define EXPCONST2 \
	VBROADCASTSS expAVX2<>+0(SB), Y9; VBROADCASTSS expAVX2<>+4(SB), Y10 \
	VBROADCASTSS expAVX2<>+8(SB), Y11; VBROADCASTSS expAVX2<>+36(SB), Y12 \
	VBROADCASTSS expAVX2<>+40(SB), Y13; VBROADCASTSS expAVX2<>+44(SB), Y14 \
	VBROADCASTSS expAVX2<>+48(SB), Y15

// SIGMOID2 is SIGMOIDF for the 8 floats x of Y0, without a subnormal operand or result:
// e_s = e^(−|x|)·2^K by Cephes' expf (t = −|x| clamped at −110, NaN kept; n = round(t·log2 e);
// r = t − n·ln 2 in two fused parts; e^r = 1 + r + r²·P(r)), scaled by the one normal power
// 2^(n+K) (n + K ≥ −95; the product exact, as VSCALEFPS's); d = e_s·2^−K + 1 in one FMA;
// Y7 = 1/d (a division), Y6 = σ_s = e_s·(1/d) (σ(x)·2^K for x < 0), Y8 the mask x < 0, Y4 2^−K.
// Uses Y1–Y8.
#define SIGMOID2 \
	VORPS        Y14, Y0, Y1 \
	VMAXPS       Y1, Y13, Y1 \
	VMULPS       Y9, Y1, Y2 \
	VROUNDPS     $0, Y2, Y2 \
	VFNMADD231PS Y10, Y2, Y1 \
	VFNMADD231PS Y11, Y2, Y1 \
	VBROADCASTSS expAVX2<>+12(SB), Y3 \
	VBROADCASTSS expAVX2<>+16(SB), Y8 \
	VFMADD213PS  Y8, Y1, Y3 \
	VBROADCASTSS expAVX2<>+20(SB), Y8 \
	VFMADD213PS  Y8, Y1, Y3 \
	VBROADCASTSS expAVX2<>+24(SB), Y8 \
	VFMADD213PS  Y8, Y1, Y3 \
	VBROADCASTSS expAVX2<>+28(SB), Y8 \
	VFMADD213PS  Y8, Y1, Y3 \
	VBROADCASTSS expAVX2<>+32(SB), Y8 \
	VFMADD213PS  Y8, Y1, Y3 \
	VMULPS       Y1, Y1, Y4 \
	VFMADD213PS  Y1, Y4, Y3 \
	VADDPS       Y12, Y3, Y3 \
	VCVTPS2DQ    Y2, Y2 \
	VPADDD       Y15, Y2, Y2 \
	VPSLLD       $23, Y2, Y2 \
	VMULPS       Y2, Y3, Y3 \
	VBROADCASTSS expAVX2<>+52(SB), Y4 \
	VMOVAPS      Y12, Y5 \
	VFMADD231PS  Y4, Y3, Y5 \
	VDIVPS       Y5, Y12, Y7 \
	VMULPS       Y7, Y3, Y6 \
	VXORPS       Y8, Y8, Y8 \
	VCMPPS       $1, Y8, Y0, Y8

// SIGMOIDOUT2 sets Y7 = σ(x): 1/d for x ≥ 0, σ_s·2^−K for x < 0 (one rounding).
#define SIGMOIDOUT2 \
	VMULPS    Y4, Y6, Y6 \
	VBLENDVPS Y8, Y6, Y7, Y7

// SILUOUT2 sets Y7 = x·σ(x): x·(1/d) for x ≥ 0, (x·σ_s)·2^−K for x < 0, σ_s set to 0 below
// −110 as SILUOUT does.
#define SILUOUT2 \
	VBLENDVPS Y8, Y6, Y7, Y7 \
	VCMPPS    $1, Y13, Y0, Y5 \
	VANDNPS   Y7, Y5, Y7 \
	VMULPS    Y7, Y0, Y7 \
	VMULPS    Y4, Y7, Y6 \
	VBLENDVPS Y8, Y6, Y7, Y7

// func sigmoidAVX2(dst, src *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONST2
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	SIGMOID2
	SIGMOIDOUT2
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func siluAVX2(dst, src *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONST2
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	SIGMOID2
	SILUOUT2
	VMOVUPS Y7, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func sumAVX2(src *float32, n int) float64
//
// Σ float64(src[i]) for i < n (a multiple of 8), in two accumulators of 4 doubles.
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ   src+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	SHRQ   $3, CX
	JZ     reduce

loop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VADDPD    Y2, Y0, Y0
	VADDPD    Y3, Y1, Y1
	ADDQ      $32, SI
	DECQ      CX
	JNZ       loop

reduce:
	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+16(FP)
	RET
