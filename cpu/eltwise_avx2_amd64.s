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
// C1, C2 (ln 2 = C1 − C2'), p0…p5, 1, −104, the sign bit, and 127 (the exponent bias, int32).
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
DATA expAVX2<>+40(SB)/4, $0xc2d00000
DATA expAVX2<>+44(SB)/4, $0x80000000
DATA expAVX2<>+48(SB)/4, $127
GLOBL expAVX2<>(SB), RODATA|NOPTR, $52

// EXPCONST2 loads Y9 log2(e), Y10 C1, Y11 C2, Y12 1, Y13 −104, Y14 the sign bit, Y15 127.
#define EXPCONST2 \
	VBROADCASTSS expAVX2<>+0(SB), Y9; VBROADCASTSS expAVX2<>+4(SB), Y10 \
	VBROADCASTSS expAVX2<>+8(SB), Y11; VBROADCASTSS expAVX2<>+36(SB), Y12 \
	VBROADCASTSS expAVX2<>+40(SB), Y13; VBROADCASTSS expAVX2<>+44(SB), Y14 \
	VBROADCASTSS expAVX2<>+48(SB), Y15

// SIGMOID2 sets Y7 = σ(x) for the 8 floats x of Y0, as SIGMOIDF: e = e^(−|x|) by Cephes' expf
// (t = −|x| clamped at −104, NaN kept; n = round(t·log2 e); r = t − n·ln 2 in two fused parts;
// e^r = 1 + r + r²·P(r)), scaled by 2^n as two exact powers of two 2^⌊n/2⌋·2^(n−⌊n/2⌋), each
// normal (n ≥ −150), so the product rounds once as VSCALEFPS does; σ = 1/(1 + e) (a division)
// for x ≥ 0 and e·(1/(1 + e)) for x < 0. Uses Y1–Y8.
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
	VPSRAD       $1, Y2, Y4 \
	VPSUBD       Y4, Y2, Y2 \
	VPADDD       Y15, Y4, Y4 \
	VPSLLD       $23, Y4, Y4 \
	VPADDD       Y15, Y2, Y2 \
	VPSLLD       $23, Y2, Y2 \
	VMULPS       Y4, Y3, Y3 \
	VMULPS       Y2, Y3, Y3 \
	VADDPS       Y12, Y3, Y5 \
	VDIVPS       Y5, Y12, Y7 \
	VMULPS       Y7, Y3, Y6 \
	VXORPS       Y8, Y8, Y8 \
	VCMPPS       $1, Y8, Y0, Y8 \
	VBLENDVPS    Y8, Y6, Y7, Y7

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
	VMULPS  Y7, Y0, Y7
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
