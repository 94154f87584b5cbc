//go:build !noasm

#include "textflag.h"

// Element-wise layers in AVX-512 (eltwise_amd64.go): 16 floats at a time, the last group
// masked, so any n. K1 masks the tail.

// TAILMASK sets K1 to the low CX bits (CX < 16).
#define TAILMASK MOVL $1, AX; SHLL CX, AX; DECL AX; KMOVW AX, K1

// BCAST broadcasts the 32-bit constant c to every lane of z.
#define BCAST(c, z) MOVL c, AX; VPBROADCASTD AX, z

// func clampAVX512(dst, src *float32, n int, lo, hi float32)
//
// dst[i] = min(max(src[i], lo), hi), NaN kept (x is the second operand of VMAXPS and
// VMINPS, which return it when either is NaN), −0 kept: Activate's OpClip bit for bit.
TEXT ·clampAVX512(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Z2
	VBROADCASTSS hi+28(FP), Z3
	CMPQ         CX, $16
	JLT          tail

loop:
	VMOVUPS (SI), Z0
	VMAXPS  Z0, Z2, Z0
	VMINPS  Z0, Z3, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMAXPS    Z0, Z2, Z0
	VMINPS    Z0, Z3, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func addAVX512(dst, a, b *float32, n int)
//
// dst[i] = a[i] + b[i].
TEXT ·addAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	VADDPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func mulAVX512(dst, a, b *float32, n int)
//
// dst[i] = a[i] · b[i].
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func scaleAVX512(dst, src *float32, n int, f float32)
//
// dst[i] = src[i] · f.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS f+24(FP), Z2
	CMPQ         CX, $16
	JLT          tail

loop:
	VMULPS  (SI), Z2, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z2, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// HARDSIG computes, on the 8 doubles of Z0, Z1 = max(0, min(1, Z1)) where Z1 holds the
// argument; Z8 = 1, Z9 = 0. NaN kept (the argument is VMINPD's and VMAXPD's second operand).
#define HARDSIG VMINPD Z1, Z8, Z1; VMAXPD Z1, Z9, Z1

// func hardSwishAVX512(dst, src *float32, n int)
//
// dst[i] = float32(x·max(0, min(1, x/6 + 1/2))) with x = float64(src[i]): ActivateLayer's
// OpHardSwish bit for bit (the same float64 operations, one rounding to float32), 8 at a time.
// Requires AVX512F, AVX512VL.
TEXT ·hardSwishAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVQ         $0x4018000000000000, AX // 6
	VPBROADCASTQ AX, Z6
	MOVQ         $0x3fe0000000000000, AX // 0.5
	VPBROADCASTQ AX, Z7
	MOVQ         $0x3ff0000000000000, AX // 1
	VPBROADCASTQ AX, Z8
	VPXORQ       Z9, Z9, Z9

loop:
	CMPQ      CX, $8
	JLT       tail
	VCVTPS2PD (SI), Z0
	VDIVPD    Z6, Z0, Z1
	VADDPD    Z7, Z1, Z1
	HARDSIG
	VMULPD    Z1, Z0, Z1
	VCVTPD2PS Z1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop

tail:
	TESTQ       CX, CX
	JZ          done
	TAILMASK
	VMOVUPS.Z   (SI), K1, Y2
	VCVTPS2PD   Y2, Z0
	VDIVPD      Z6, Z0, Z1
	VADDPD      Z7, Z1, Z1
	HARDSIG
	VMULPD      Z1, Z0, Z1
	VCVTPD2PS   Z1, Y1
	VMOVUPS     Y1, K1, (DI)

done:
	VZEROUPPER
	RET

// func hardSigmoidAVX512(dst, src *float32, n int, alpha, beta float64)
//
// dst[i] = float32(max(0, min(1, α·x + β))) with x = float64(src[i]): ActivateLayer's
// OpHardSigmoid bit for bit, 8 at a time. Requires AVX512F, AVX512VL.
TEXT ·hardSigmoidAVX512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD alpha+24(FP), Z6
	VBROADCASTSD beta+32(FP), Z7
	MOVQ         $0x3ff0000000000000, AX // 1
	VPBROADCASTQ AX, Z8
	VPXORQ       Z9, Z9, Z9

loop:
	CMPQ      CX, $8
	JLT       tail
	VCVTPS2PD (SI), Z0
	VMULPD    Z6, Z0, Z1
	VADDPD    Z7, Z1, Z1
	HARDSIG
	VCVTPD2PS Z1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop

tail:
	TESTQ       CX, CX
	JZ          done
	TAILMASK
	VMOVUPS.Z   (SI), K1, Y2
	VCVTPS2PD   Y2, Z0
	VMULPD      Z6, Z0, Z1
	VADDPD      Z7, Z1, Z1
	HARDSIG
	VCVTPD2PS   Z1, Y1
	VMOVUPS     Y1, K1, (DI)

done:
	VZEROUPPER
	RET

// EXPCONST loads the constants of SIGMOIDF: Z16 log2(e), Z17 and Z18 ln 2 split in two
// (Cephes' C1 = 0.693359375, C2 = −2.12194440e−4), Z19–Z24 Cephes expf's polynomial
// p0…p5, Z25 1, Z26 2^K (K = 64), Z27 −110 (below which e^t and t·e^t are 0 in float32),
// Z28 0, Z29 the sign bit, Z30 2^−K, Z31 −K.
#define EXPCONST \
	BCAST($0x3fb8aa3b, Z16); BCAST($0x3f318000, Z17); BCAST($0xb95e8083, Z18) \
	BCAST($0x39506967, Z19); BCAST($0x3ab743ce, Z20); BCAST($0x3c088908, Z21) \
	BCAST($0x3d2aa9c1, Z22); BCAST($0x3e2aaaaa, Z23); BCAST($0x3f000000, Z24) \
	BCAST($0x3f800000, Z25); BCAST($0x5f800000, Z26); BCAST($0xc2dc0000, Z27) \
	BCAST($0x80000000, Z29); BCAST($0x1f800000, Z30); BCAST($0xc2800000, Z31) \
	VPXORD Z28, Z28, Z28

// SIGMOIDF sets Z7 = σ(x) = 1/(1 + e^(−x)) for x ≥ 0 (and NaN) and Z7 = σ_s = σ(x)·2^K for
// x < 0 (mask K2), for the 16 floats x of Z0, without a division and without a subnormal
// operand or result (each costs a microcode assist of 100+ cycles at Go's default MXCSR: no
// FTZ/DAZ): e_s = e^(−|x|)·2^K (t = −|x| clamped below at −110, NaN kept; n = round(t·log2 e),
// r = t − n·ln 2 in two fused parts, e^r·2^K = (r + r²·P(r))·2^K + 2^K in one FMA (Cephes
// expf, within about 1 ulp on |r| ≤ ln2/2), scaled by 2^n with VSCALEFPS: n ≥ −159, e_s ≥
// 2^−96 is normal; e_s = 0 where t was clamped, mask K3: there e^(−|x|) and x·σ(x) round to
// 0, so σ(x) = 0 or 1 and x·σ(x) = x·0, −0 or NaN for −Inf as in the reference);
// d = 1 + e = e_s·2^−K + 1 ∈ [1, 2] in one FMA (the product exact inside it), 1/d by
// VRCP14PS and one Newton step; σ = 1/d for x ≥ 0 and σ_s = e_s·(1/d) for x < 0 (no
// cancellation either way). Where e is normal, σ_s·2^−K is the float σ = e·(1/d) rounds to.
// The callers unscale under K2 (SIGMOIDOUT, SILUOUT). Uses Z1–Z7, K2 and K3.
#define SIGMOIDF \
	VPORD        Z29, Z0, Z1 \
	VMAXPS       Z1, Z27, Z1 \
	VCMPPS       $6, Z27, Z1, K3 \
	VMULPS       Z16, Z1, Z2 \
	VRNDSCALEPS  $0, Z2, Z2 \
	VFNMADD231PS Z17, Z2, Z1 \
	VFNMADD231PS Z18, Z2, Z1 \
	VMOVAPS      Z19, Z3 \
	VFMADD213PS  Z20, Z1, Z3 \
	VFMADD213PS  Z21, Z1, Z3 \
	VFMADD213PS  Z22, Z1, Z3 \
	VFMADD213PS  Z23, Z1, Z3 \
	VFMADD213PS  Z24, Z1, Z3 \
	VMULPS       Z1, Z1, Z4 \
	VFMADD213PS  Z1, Z4, Z3 \
	VFMADD213PS  Z26, Z26, Z3 \
	VSCALEFPS.Z  Z2, Z3, K3, Z3 \
	VMOVAPS      Z25, Z5 \
	VFMADD231PS  Z30, Z3, Z5 \
	VRCP14PS     Z5, Z6 \
	VMOVAPS      Z25, Z7 \
	VFNMADD231PS Z6, Z5, Z7 \
	VFMADD213PS  Z6, Z6, Z7 \
	VCMPPS       $1, Z28, Z0, K2 \
	VMULPS       Z3, Z7, K2, Z7

// SIGMOIDOUT turns SIGMOIDF's Z7 into σ(x): σ_s·2^−K for x < 0 (exact where σ is normal, one
// rounding where σ is subnormal, 0 below x ≈ −103.97).
#define SIGMOIDOUT \
	VSCALEFPS Z31, Z7, K2, Z7

// SILUOUT turns SIGMOIDF's Z7 into x·σ(x): (x·σ_s)·2^−K for x < 0, x·σ_s a normal number or
// 0 (so x ∈ [−110, −87] multiplies no subnormal σ; the result is subnormal only where x·σ(x)
// is).
#define SILUOUT \
	VMULPS    Z7, Z0, Z7 \
	VSCALEFPS Z31, Z7, K2, Z7

// func sigmoidAVX512(dst, src *float32, n int)
//
// dst[i] = 1/(1 + e^(−x)), in float32 (SIGMOIDF).
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONST
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	SIGMOIDF
	SIGMOIDOUT
	VMOVUPS Z7, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	SIGMOIDF
	SIGMOIDOUT
	VMOVUPS   Z7, K1, (DI)

done:
	VZEROUPPER
	RET

// func siluAVX512(dst, src *float32, n int)
//
// dst[i] = x·σ(x), in float32 (SIGMOIDF).
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONST
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	SIGMOIDF
	SILUOUT
	VMOVUPS Z7, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	SIGMOIDF
	SILUOUT
	VMOVUPS   Z7, K1, (DI)

done:
	VZEROUPPER
	RET

// func sumAVX512(src *float32, n int) float64
//
// Σ_i float64(src[i]) for i < n, in two accumulators of 8 doubles (16 floats a step, the last
// group masked), then summed across lanes.
TEXT ·sumAVX512(SB), NOSPLIT, $0-24
	MOVQ   src+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1

loop:
	CMPQ      CX, $16
	JLT       tail
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       loop

tail:
	VADDPD        Z1, Z0, Z0
	TESTQ         CX, CX
	JZ            reduce
	TAILMASK
	VMOVUPS.Z     (SI), K1, Z2
	VCVTPS2PD     Y2, Z3
	VEXTRACTF64X4 $1, Z2, Y4
	VCVTPS2PD     Y4, Z4
	VADDPD        Z3, Z0, Z0
	VADDPD        Z4, Z0, Z0

reduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VZEROUPPER
	MOVSD         X0, ret+16(FP)
	RET

// func siluRowsAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)
//
// dst[r*ldd+i] = x·σ(x), x = src[r*lds+i], for r < rows, i < cols: siluAVX512 row by row in
// one call (a depthwise step's output grid activated into its output rows, dwact_amd64.go).
TEXT ·siluRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  ldd+8(FP), R8
	MOVQ  src+16(FP), SI
	MOVQ  lds+24(FP), R9
	MOVQ  rows+32(FP), R10
	MOVQ  cols+40(FP), R11
	EXPCONST
	SHLQ  $2, R8
	SHLQ  $2, R9
	MOVQ  R11, CX
	ANDQ  $15, CX
	TAILMASK
	TESTQ R10, R10
	JZ    done

row:
	MOVQ SI, BX
	MOVQ DI, DX
	MOVQ R11, CX

chunk:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (BX), Z0
	SIGMOIDF
	SILUOUT
	VMOVUPS Z7, (DX)
	ADDQ    $64, BX
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     chunk

tail:
	TESTQ     CX, CX
	JZ        next
	VMOVUPS.Z (BX), K1, Z0
	SIGMOIDF
	SILUOUT
	VMOVUPS   Z7, K1, (DX)

next:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ R10
	JNZ  row

done:
	VZEROUPPER
	RET
