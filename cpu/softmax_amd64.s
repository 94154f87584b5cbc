//go:build !noasm

#include "textflag.h"

#define BCAST(c, z) MOVL c, AX; VPBROADCASTD AX, z

// EXPSUB sets Z7 = e^t for t = max(Z0 − Z1, −104) (NaN kept), by Cephes' expf as softmax.go's
// expSubOne: n = round(t·log2 e), r = t − n·ln 2 in two fused parts, e^r = 1 + r + r²·P(r),
// scaled by 2^n with VSCALEFPS. Constants: Z16 log2 e, Z17, Z18 ln 2, Z19–Z24 P, Z25 1,
// Z27 −104. Uses Z2–Z4.
#define EXPSUB \
	VSUBPS       Z1, Z0, Z0 \
	VMAXPS       Z0, Z27, Z0 \
	VMULPS       Z16, Z0, Z2 \
	VRNDSCALEPS  $0, Z2, Z2 \
	VFNMADD231PS Z17, Z2, Z0 \
	VFNMADD231PS Z18, Z2, Z0 \
	VMOVAPS      Z19, Z7 \
	VFMADD213PS  Z20, Z0, Z7 \
	VFMADD213PS  Z21, Z0, Z7 \
	VFMADD213PS  Z22, Z0, Z7 \
	VFMADD213PS  Z23, Z0, Z7 \
	VFMADD213PS  Z24, Z0, Z7 \
	VMULPS       Z0, Z0, Z4 \
	VFMADD213PS  Z0, Z4, Z7 \
	VADDPS       Z25, Z7, Z7 \
	VSCALEFPS    Z2, Z7, Z7

// func expSubAVX512(dst, src, m *float32, n int)
//
// dst[i] = e^(src[i] − m[i]) for i < n, 16 at a time, the last group masked (K1).
TEXT ·expSubAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ n+24(FP), CX
	BCAST($0x3fb8aa3b, Z16); BCAST($0x3f318000, Z17); BCAST($0xb95e8083, Z18)
	BCAST($0x39506967, Z19); BCAST($0x3ab743ce, Z20); BCAST($0x3c088908, Z21)
	BCAST($0x3d2aa9c1, Z22); BCAST($0x3e2aaaaa, Z23); BCAST($0x3f000000, Z24)
	BCAST($0x3f800000, Z25); BCAST($0xc2d00000, Z27)
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	EXPSUB
	VMOVUPS Z7, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	CMPQ    CX, $16
	JGE     loop

tail:
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	EXPSUB
	VMOVUPS   Z7, K1, (DI)

done:
	VZEROUPPER
	RET

// func addF64AVX512(dst *float64, src *float32, n int)
//
// dst[i] += float64(src[i]) for i < n, 8 at a time, the last group masked (K1).
TEXT ·addF64AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, $8
	JLT  tail

loop:
	VCVTPS2PD (SI), Z0
	VADDPD    (DI), Z0, Z0
	VMOVUPD   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $8, CX
	CMPQ      CX, $8
	JGE       loop

tail:
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	VMOVUPS.Z (SI), K1, Y1
	VCVTPS2PD Y1, Z0
	VADDPD.Z  (DI), Z0, K1, Z0
	VMOVUPD   Z0, K1, (DI)

done:
	VZEROUPPER
	RET
