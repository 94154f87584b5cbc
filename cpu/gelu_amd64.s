//go:build !noasm

#include "textflag.h"

// GELU in AVX-512 (gelu.go gives the algorithm and its Go twin, geluOne, which this follows
// operation for operation): 16 floats at a time, the last group masked (K1).

#define BCAST(c, z) MOVL c, AX; VPBROADCASTD AX, z

// GELUCONST loads Z16 log2(e), Z17, Z18 ln 2 in two parts, Z19–Z24 Cephes expf's p0…p5 (Z24 is
// also ½), Z25 1, Z26 geluA, Z29 the sign bit, Z30 geluMax, and P's coefficients, highest
// degree first, in Z8–Z15, Z27, Z28.
#define GELUCONST \
	BCAST($0x3fb8aa3b, Z16); BCAST($0x3f318000, Z17); BCAST($0xb95e8083, Z18) \
	BCAST($0x39506967, Z19); BCAST($0x3ab743ce, Z20); BCAST($0x3c088908, Z21) \
	BCAST($0x3d2aa9c1, Z22); BCAST($0x3e2aaaaa, Z23); BCAST($0x3f000000, Z24) \
	BCAST($0x3f800000, Z25); BCAST($0x3e99999a, Z26); BCAST($0x80000000, Z29) \
	BCAST($0x4169999a, Z30) \
	BCAST($0xbca8f5b0, Z8); BCAST($0x3de64909, Z9); BCAST($0xbe69b62b, Z10) \
	BCAST($0x3e446a8e, Z11); BCAST($0xbda2b595, Z12); BCAST($0x3dc4f50b, Z13) \
	BCAST($0x3da08829, Z14); BCAST($0x3de1c3b2, Z15); BCAST($0x3df4e1ff, Z27) \
	BCAST($0x3df51e4d, Z28)

// GELUF sets Z3 = GELU(x) for the 16 floats x of Z0. Uses Z1–Z7, Z31 and K2.
//   Z1 a = min(|x|, geluMax) (NaN kept), Z2 t = 1/(1 + geluA·a), Z4 h = a·a, Z5 l = a·a − h,
//   Z7 e = expf(−h/2)·(1 − l/2) (Z6 n, Z4 r, Z31 r²), Z3 R = t·P(t), q = e·R,
//   Z3 = x·q for x with the sign bit, x·(1 − q) otherwise.
#define GELUF \
	VPANDND      Z0, Z29, Z1 \
	VMINPS       Z1, Z30, Z1 \
	VMOVAPS      Z25, Z2 \
	VFMADD231PS  Z26, Z1, Z2 \
	VDIVPS       Z2, Z25, Z2 \
	VMULPS       Z1, Z1, Z4 \
	VMOVAPS      Z4, Z5 \
	VFMSUB231PS  Z1, Z1, Z5 \
	VMULPS       Z24, Z4, Z4 \
	VPXORD       Z29, Z4, Z4 \
	VMULPS       Z16, Z4, Z6 \
	VRNDSCALEPS  $0, Z6, Z6 \
	VFNMADD231PS Z17, Z6, Z4 \
	VFNMADD231PS Z18, Z6, Z4 \
	VMOVAPS      Z19, Z7 \
	VFMADD213PS  Z20, Z4, Z7 \
	VFMADD213PS  Z21, Z4, Z7 \
	VFMADD213PS  Z22, Z4, Z7 \
	VFMADD213PS  Z23, Z4, Z7 \
	VFMADD213PS  Z24, Z4, Z7 \
	VMULPS       Z4, Z4, Z31 \
	VFMADD213PS  Z4, Z31, Z7 \
	VADDPS       Z25, Z7, Z7 \
	VSCALEFPS    Z6, Z7, Z7 \
	VMULPS       Z24, Z5, Z5 \
	VFNMADD231PS Z5, Z7, Z7 \
	VMOVAPS      Z8, Z3 \
	VFMADD213PS  Z9, Z2, Z3 \
	VFMADD213PS  Z10, Z2, Z3 \
	VFMADD213PS  Z11, Z2, Z3 \
	VFMADD213PS  Z12, Z2, Z3 \
	VFMADD213PS  Z13, Z2, Z3 \
	VFMADD213PS  Z14, Z2, Z3 \
	VFMADD213PS  Z15, Z2, Z3 \
	VFMADD213PS  Z27, Z2, Z3 \
	VFMADD213PS  Z28, Z2, Z3 \
	VMULPS       Z2, Z3, Z3 \
	VMULPS       Z3, Z7, Z7 \
	VSUBPS       Z7, Z25, Z3 \
	VPTESTMD     Z29, Z0, K2 \
	VMOVAPS      Z7, K2, Z3 \
	VMULPS       Z3, Z0, Z3

// func geluAVX512(dst, src *float32, n int)
//
// dst[i] = GELU(src[i]) for i < n (GELUF). Requires AVX512F.
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	GELUCONST
	CMPQ CX, $16
	JLT  tail

loop:
	VMOVUPS (SI), Z0
	GELUF
	VMOVUPS Z3, (DI)
	ADDQ    $64, SI
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
	GELUF
	VMOVUPS   Z3, K1, (DI)

done:
	VZEROUPPER
	RET
