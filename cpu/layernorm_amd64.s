//go:build !noasm

#include "textflag.h"

// LayerNorm's passes over a channel row in AVX-512 (layernorm_amd64.go): 8 pixels at a time
// in float64, the last group masked (K1), with the reference's operations (no fused
// multiply-adds), so LayerNormChannels gives the same floats as its Go loops.

#define TAILMASK8 MOVL $1, AX; SHLL CX, AX; DECL AX; KMOVW AX, K1

// func sqDevAVX512(acc *float64, x *float32, mu *float64, n int)
//
// acc[i] += d·d with d = float64(x[i]) − mu[i].
TEXT ·sqDevAVX512(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mu+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $8
	JLT  tail

loop:
	VCVTPS2PD (SI), Z0
	VSUBPD    (DX), Z0, Z0
	VMULPD    Z0, Z0, Z0
	VADDPD    (DI), Z0, Z0
	VMOVUPD   Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $8, CX
	CMPQ      CX, $8
	JGE       loop

tail:
	TESTQ     CX, CX
	JZ        done
	TAILMASK8
	VMOVUPS.Z (SI), K1, Y1
	VCVTPS2PD Y1, Z0
	VMOVUPD.Z (DX), K1, Z1
	VSUBPD    Z1, Z0, Z0
	VMULPD    Z0, Z0, Z0
	VMOVUPD.Z (DI), K1, Z1
	VADDPD    Z1, Z0, Z0
	VMOVUPD   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func lnOutAVX512(out, x *float32, mu, inv *float64, n int, gam, bet float64)
//
// out[i] = float32(((float64(x[i]) − mu[i])·inv[i])·gam + bet).
TEXT ·lnOutAVX512(SB), NOSPLIT, $0-56
	MOVQ         out+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         mu+16(FP), DX
	MOVQ         inv+24(FP), BX
	MOVQ         n+32(FP), CX
	VBROADCASTSD gam+40(FP), Z6
	VBROADCASTSD bet+48(FP), Z7
	CMPQ         CX, $8
	JLT          tail

loop:
	VCVTPS2PD (SI), Z0
	VSUBPD    (DX), Z0, Z0
	VMULPD    (BX), Z0, Z0
	VMULPD    Z6, Z0, Z0
	VADDPD    Z7, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	ADDQ      $64, DX
	ADDQ      $64, BX
	SUBQ      $8, CX
	CMPQ      CX, $8
	JGE       loop

tail:
	TESTQ     CX, CX
	JZ        done
	TAILMASK8
	VMOVUPS.Z (SI), K1, Y1
	VCVTPS2PD Y1, Z0
	VMOVUPD.Z (DX), K1, Z1
	VSUBPD    Z1, Z0, Z0
	VMOVUPD.Z (BX), K1, Z1
	VMULPD    Z1, Z0, Z0
	VMULPD    Z6, Z0, Z0
	VADDPD    Z7, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS   Y0, K1, (DI)

done:
	VZEROUPPER
	RET
