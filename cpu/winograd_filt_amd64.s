//go:build !noasm

#include "textflag.h"

// The filter transform of Winograd's F(4×4, 3×3) (winoFilters, winograd.go) in float32, for
// 16 input channels of one output channel at a time, one filter g (3×3) per lane. G = D·H with
// D = diag(1/4, −1/6, −1/6, 1/24, 1/24, 1) and H = [1 0 0; 1 1 1; 1 −1 1; 1 2 4; 1 −2 4; 0 0 1],
// so that
//
//	(G g Gᵀ)_ij = d_i·d_j·(H g Hᵀ)_ij:
//
// H applied down the columns of g and then along the rows of H g takes sums with the exact
// weights ±1, 2 and 4, and each of the 36 results is scaled once by winoFC's fl(d_i·d_j).

// winoFC holds fl(d_i·d_j), row i of the 6×6 table at byte 24i.
DATA winoFC<>+0(SB)/4, $0x3d800000 // 1/16
DATA winoFC<>+4(SB)/4, $0xbd2aaaab // -1/24
DATA winoFC<>+8(SB)/4, $0xbd2aaaab // -1/24
DATA winoFC<>+12(SB)/4, $0x3c2aaaab // 1/96
DATA winoFC<>+16(SB)/4, $0x3c2aaaab // 1/96
DATA winoFC<>+20(SB)/4, $0x3e800000 // 1/4
DATA winoFC<>+24(SB)/4, $0xbd2aaaab // -1/24
DATA winoFC<>+28(SB)/4, $0x3ce38e39 // 1/36
DATA winoFC<>+32(SB)/4, $0x3ce38e39 // 1/36
DATA winoFC<>+36(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+40(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+44(SB)/4, $0xbe2aaaab // -1/6
DATA winoFC<>+48(SB)/4, $0xbd2aaaab // -1/24
DATA winoFC<>+52(SB)/4, $0x3ce38e39 // 1/36
DATA winoFC<>+56(SB)/4, $0x3ce38e39 // 1/36
DATA winoFC<>+60(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+64(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+68(SB)/4, $0xbe2aaaab // -1/6
DATA winoFC<>+72(SB)/4, $0x3c2aaaab // 1/96
DATA winoFC<>+76(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+80(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+84(SB)/4, $0x3ae38e39 // 1/576
DATA winoFC<>+88(SB)/4, $0x3ae38e39 // 1/576
DATA winoFC<>+92(SB)/4, $0x3d2aaaab // 1/24
DATA winoFC<>+96(SB)/4, $0x3c2aaaab // 1/96
DATA winoFC<>+100(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+104(SB)/4, $0xbbe38e39 // -1/144
DATA winoFC<>+108(SB)/4, $0x3ae38e39 // 1/576
DATA winoFC<>+112(SB)/4, $0x3ae38e39 // 1/576
DATA winoFC<>+116(SB)/4, $0x3d2aaaab // 1/24
DATA winoFC<>+120(SB)/4, $0x3e800000 // 1/4
DATA winoFC<>+124(SB)/4, $0xbe2aaaab // -1/6
DATA winoFC<>+128(SB)/4, $0xbe2aaaab // -1/6
DATA winoFC<>+132(SB)/4, $0x3d2aaaab // 1/24
DATA winoFC<>+136(SB)/4, $0x3d2aaaab // 1/24
DATA winoFC<>+140(SB)/4, $0x3f800000 // 1
GLOBL winoFC<>(SB), RODATA|NOPTR, $144

// winoFT are the VPERMT2PS indices that gather tap k of filters 4q … 4q+3 of a group (w[9j + k]
// of filter j, the group's 16 filters 144 contiguous floats) into lanes 4q … 4q+3, the same for
// every q: with table 1 the 16 floats from w[36q + k] and table 2 the 16 from w[36q + k + 12],
// the floats 0, 9, 18 = 12 + 6 and 27 = 12 + 15.
DATA winoFT<>+0(SB)/4, $0
DATA winoFT<>+4(SB)/4, $9
DATA winoFT<>+8(SB)/4, $22
DATA winoFT<>+12(SB)/4, $31
DATA winoFT<>+16(SB)/4, $0
DATA winoFT<>+20(SB)/4, $9
DATA winoFT<>+24(SB)/4, $22
DATA winoFT<>+28(SB)/4, $31
DATA winoFT<>+32(SB)/4, $0
DATA winoFT<>+36(SB)/4, $9
DATA winoFT<>+40(SB)/4, $22
DATA winoFT<>+44(SB)/4, $31
DATA winoFT<>+48(SB)/4, $0
DATA winoFT<>+52(SB)/4, $9
DATA winoFT<>+56(SB)/4, $22
DATA winoFT<>+60(SB)/4, $31
GLOBL winoFT<>(SB), RODATA|NOPTR, $64

// WINO_TAP sets v to tap k of the 16 filters at SI (o = 4k bytes): lane j = w[9j + k]. Four
// VPERMT2PS over the floats from filters 0, 4, 8 and 12 (winoFT in Z25), merged by the masks
// K2 = lanes 4…7, K3 = 8…11, K4 = 12…15; it clobbers Z27…Z29. It reads the group's 576 bytes
// only (the last table 2 of tap 8 ends at byte 32 + 432 + 48 + 64 = 576).
#define WINO_TAP(o, v) \
	VMOVUPS   o(SI), v \
	VPERMT2PS o+48(SI), Z25, v \
	VMOVUPS   o+144(SI), Z27 \
	VPERMT2PS o+192(SI), Z25, Z27 \
	VMOVUPS   o+288(SI), Z28 \
	VPERMT2PS o+336(SI), Z25, Z28 \
	VMOVUPS   o+432(SI), Z29 \
	VPERMT2PS o+480(SI), Z25, Z29 \
	VMOVAPS   Z27, K2, v \
	VMOVAPS   Z28, K3, v \
	VMOVAPS   Z29, K4, v

// WINO_H sets y1 … y4 to rows 1 … 4 of H x, x0 + x2 + x1, x0 + x2 − x1, (x0 + 4x2) + 2x1 and
// (x0 + 4x2) − 2x1 (rows 0 and 5 are x0 and x2; 4x2 and 2x1 are exact), with Z26 = 4; it
// clobbers Z21…Z23.
#define WINO_H(x0, x1, x2, y1, y2, y3, y4) \
	VADDPS x2, x0, Z21 \
	VADDPS x1, Z21, y1 \
	VSUBPS x1, Z21, y2 \
	VMULPS Z26, x2, Z22 \
	VADDPS x0, Z22, Z22 \
	VADDPS x1, x1, Z23 \
	VADDPS Z23, Z22, y3 \
	VSUBPS Z23, Z22, y4

// WINO_ST scales z by winoFC's entry at byte c (R10 = winoFC), stores its lanes in K1 at DI
// and moves DI on by R9 (to the next ξ).
#define WINO_ST(c, z) \
	VMULPS.BCST c(R10), z, z \
	VMOVUPS     z, K1, (DI) \
	ADDQ        R9, DI

// WINO_ROW stores row i of G g Gᵀ (ξ = 6i … 6i+5) from row i of H g (t0, t1, t2: its columns
// 0, 1, 2), with c = 24i: H along the row as WINO_H does, each value scaled by fl(d_i·d_j). It
// clobbers Z21…Z24 and Z27…Z30.
#define WINO_ROW(t0, t1, t2, c) \
	VMOVAPS t0, Z24 \
	WINO_ST(c, Z24) \
	WINO_H(t0, t1, t2, Z27, Z28, Z29, Z30) \
	WINO_ST(c+4, Z27) \
	WINO_ST(c+8, Z28) \
	WINO_ST(c+12, Z29) \
	WINO_ST(c+16, Z30) \
	VMOVAPS t2, Z24 \
	WINO_ST(c+20, Z24)

// func winoFiltAVX512(u *float32, su int, w *float32, n int, mask uint16)
// Transforms n groups of 16 filters: group p's filters (input channels) are the 144 floats from
// w[144p] (filter j's tap (kh, kw) at 9j + 3kh + kw), and (G g Gᵀ)_ξ of its filter j goes to
// u[ξ·su + 16p + j] for the lanes j set in mask.
TEXT ·winoFiltAVX512(SB), NOSPLIT, $0-34
	MOVQ    u+0(FP), DX
	MOVQ    su+8(FP), R9
	SHLQ    $2, R9 // ξ to ξ+1, in bytes
	MOVQ    w+16(FP), SI
	MOVQ    n+24(FP), CX
	MOVWLZX mask+32(FP), AX
	KMOVW   AX, K1
	MOVL    $0x00f0, AX
	KMOVW   AX, K2
	MOVL    $0x0f00, AX
	KMOVW   AX, K3
	MOVL    $0xf000, AX
	KMOVW   AX, K4
	MOVL    $0x40800000, AX
	VPBROADCASTD AX, Z26
	VMOVUPS winoFT<>(SB), Z25
	LEAQ    winoFC<>(SB), R10
	TESTQ   CX, CX
	JZ      done

group:
	// g: Z0 … Z8 = taps (kh, kw) in row-major order, lane j = filter j.
	WINO_TAP(0, Z0)
	WINO_TAP(4, Z1)
	WINO_TAP(8, Z2)
	WINO_TAP(12, Z3)
	WINO_TAP(16, Z4)
	WINO_TAP(20, Z5)
	WINO_TAP(24, Z6)
	WINO_TAP(28, Z7)
	WINO_TAP(32, Z8)

	// H g, column kw from (Z_kw, Z_{3+kw}, Z_{6+kw}): rows 0 and 5 stay in Z0…Z2 and Z6…Z8,
	// rows 1 … 4 go to Z9…Z12 (kw = 0), Z13…Z16 (kw = 1), Z17…Z20 (kw = 2).
	WINO_H(Z0, Z3, Z6, Z9, Z10, Z11, Z12)
	WINO_H(Z1, Z4, Z7, Z13, Z14, Z15, Z16)
	WINO_H(Z2, Z5, Z8, Z17, Z18, Z19, Z20)

	// D (H g Hᵀ) D, row by row, to ξ = 0 … 35.
	MOVQ DX, DI
	WINO_ROW(Z0, Z1, Z2, 0)
	WINO_ROW(Z9, Z13, Z17, 24)
	WINO_ROW(Z10, Z14, Z18, 48)
	WINO_ROW(Z11, Z15, Z19, 72)
	WINO_ROW(Z12, Z16, Z20, 96)
	WINO_ROW(Z6, Z7, Z8, 120)

	ADDQ $64, DX
	ADDQ $576, SI
	DECQ CX
	JNZ  group

done:
	VZEROUPPER
	RET
