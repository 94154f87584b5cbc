//go:build !noasm

#include "textflag.h"

// WIDTHMASKS sets K2 and K3 to the columns 0-15 and 16-31 of a row of R11 = width (1 to 32)
// columns, with CX spared (R13 scratch): K2|K3<<16 = 2^width − 1.
#define WIDTHMASKS \
	MOVQ  $1, R13 \
	SHLXQ R11, R13, R13 \
	DECQ  R13 \
	KMOVD R13, K2 \
	KSHIFTRD $16, K2, K3

// The AMX instructions are not known to Go's assembler: they are written as bytes, encoded
// from the Intel SDM (VEX.128.0F38.W0 49/4B/5C) and checked against GNU as and objdump by
// TestAMXEncoding, which disassembles this function from the test binary. Each is preceded by
// its AT&T form (source operands first).

// func amxPanel(cfg *byte, a *uint16, b *uint16, c *float32, kq int, mblocks int)
//
// For mb < mblocks: the 32×32 float32 block of C at c + mb·32·32 (rows 32 floats apart) is
// set to Σ_q A(mb, q)·B(q), q < kq, with A(mb, q) the two 16×32 bf16 tiles at
// a + ((2mb+h)·kq + q)·1024 bytes (h = 0, 1; rows 64 bytes apart) and B(q) the 16×64 bf16
// tile pair at b + q·2048 (16 rows of 32 columns × 2 k values, "VNNI" layout, rows 128 bytes
// apart; the left 16 columns in the first 64 bytes of each row). cfg is the 64-byte tile
// configuration: palette 1, eight tiles of 16 rows × 64 bytes.
//
// Tiles: tmm0-3 the C blocks (rows 0-15 / 16-31 × columns 0-15 / 16-31), tmm4-5 A, tmm6-7 B.
// Registers: AX, BX the A tiles of the two row halves, DX the B tiles, SI = 64 and DI = 128
// the tile row strides, CX the k counter, R8 the A block of mb, R10 its C block, R11 = kq,
// R12 the mb counter, R13 = kq·1024.
TEXT ·amxPanel(SB), NOSPLIT, $0-48
	MOVQ cfg+0(FP), AX
	// ldtilecfg (%rax)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00
	MOVQ a+8(FP), R8
	MOVQ b+16(FP), R9
	MOVQ c+24(FP), R10
	MOVQ kq+32(FP), R11
	MOVQ mblocks+40(FP), R12
	MOVQ $64, SI
	MOVQ $128, DI
	MOVQ R11, R13
	SHLQ $10, R13

mloop:
	// tilezero %tmm0 … %tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8
	MOVQ R8, AX
	LEAQ (R8)(R13*1), BX
	MOVQ R9, DX
	MOVQ R11, CX

kloop:
	// tileloadd (%rax,%rsi,1), %tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x30
	// tileloadd (%rdx,%rdi,1), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x3a
	// tileloadd 0x40(%rdx,%rdi,1), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x7c; BYTE $0x3a; BYTE $0x40
	// tdpbf16ps %tmm6, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4
	// tileloadd (%rbx,%rsi,1), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x33
	// tdpbf16ps %tmm7, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc
	// tdpbf16ps %tmm6, %tmm5, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5
	// tdpbf16ps %tmm7, %tmm5, %tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd
	ADDQ $1024, AX
	ADDQ $1024, BX
	ADDQ $2048, DX
	DECQ CX
	JNZ  kloop

	// tilestored %tmm0, (%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x3a
	// tilestored %tmm1, 0x40(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x3a; BYTE $0x40
	// tilestored %tmm2, 0x800(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x94; BYTE $0x3a; LONG $0x00000800
	// tilestored %tmm3, 0x840(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x9c; BYTE $0x3a; LONG $0x00000840
	ADDQ $4096, R10
	LEAQ (R8)(R13*2), R8
	DECQ R12
	JNZ  mloop

	// tilerelease
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0
	RET

// func amxPanelTiled(cfg *byte, a *uint16, b *uint32, boff *int, ldb int, c *float32, kq int, mblocks int)
//
// amxPanel with B read as tiles where it lies, without packing: the tile pair of chunk q
// (16 rows of 32 words, "VNNI" pairs as for amxPanel) at b + boff[q] bytes, rows ldb bytes
// apart, its left 16 columns in the first 64 bytes of each row.
//
// Registers as in amxPanel, except: DI = ldb in the k loop (128 for the stores), R9 the base
// b, R14 the walk over boff.
TEXT ·amxPanelTiled(SB), NOSPLIT, $0-64
	MOVQ cfg+0(FP), AX
	// ldtilecfg (%rax)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00
	MOVQ a+8(FP), R8
	MOVQ b+16(FP), R9
	MOVQ c+40(FP), R10
	MOVQ kq+48(FP), R11
	MOVQ mblocks+56(FP), R12
	MOVQ $64, SI
	MOVQ R11, R13
	SHLQ $10, R13

tmloop:
	// tilezero %tmm0 … %tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8
	MOVQ ldb+32(FP), DI
	MOVQ boff+24(FP), R14
	MOVQ R8, AX
	LEAQ (R8)(R13*1), BX
	MOVQ R11, CX

tkloop:
	MOVQ (R14), DX
	ADDQ R9, DX
	// tileloadd (%rax,%rsi,1), %tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x30
	// tileloadd (%rdx,%rdi,1), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x3a
	// tileloadd 0x40(%rdx,%rdi,1), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x7c; BYTE $0x3a; BYTE $0x40
	// tdpbf16ps %tmm6, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4
	// tileloadd (%rbx,%rsi,1), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x33
	// tdpbf16ps %tmm7, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc
	// tdpbf16ps %tmm6, %tmm5, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5
	// tdpbf16ps %tmm7, %tmm5, %tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd
	ADDQ $1024, AX
	ADDQ $1024, BX
	ADDQ $8, R14
	DECQ CX
	JNZ  tkloop

	MOVQ $128, DI
	// tilestored %tmm0, (%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x3a
	// tilestored %tmm1, 0x40(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x3a; BYTE $0x40
	// tilestored %tmm2, 0x800(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x94; BYTE $0x3a; LONG $0x00000800
	// tilestored %tmm3, 0x840(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x9c; BYTE $0x3a; LONG $0x00000840
	ADDQ $4096, R10
	LEAQ (R8)(R13*2), R8
	DECQ R12
	JNZ  tmloop

	// tilerelease
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0
	RET

// func amxPanelTiledCode() *byte: the first byte of amxPanelTiled's code (for TestAMXEncoding).
TEXT ·amxPanelTiledCode(SB), NOSPLIT, $0-8
	LEAQ ·amxPanelTiled(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func amxPanel16(cfg *byte, a *uint16, b *uint16, c *float32, kq int)
//
// amxPanel for one block of 16 rows (the last of an m ≡ 8 or 16 mod 32): the 16×32 float32
// block at c (rows 32 floats apart) is set to Σ_q A(q)·B(q), q < kq, A(q) the 16×32 bf16 tile
// at a + q·1024 bytes and B(q) as for amxPanel. Tiles: tmm0-1 C, tmm4 A, tmm6-7 B.
TEXT ·amxPanel16(SB), NOSPLIT, $0-40
	MOVQ cfg+0(FP), AX
	// ldtilecfg (%rax)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), R10
	MOVQ kq+32(FP), CX
	MOVQ $64, SI
	MOVQ $128, DI
	// tilezero %tmm0, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8

kloop16:
	// tileloadd (%rax,%rsi,1), %tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x30
	// tileloadd (%rdx,%rdi,1), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x3a
	// tileloadd 0x40(%rdx,%rdi,1), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x7c; BYTE $0x3a; BYTE $0x40
	// tdpbf16ps %tmm6, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4
	// tdpbf16ps %tmm7, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc
	ADDQ $1024, AX
	ADDQ $2048, DX
	DECQ CX
	JNZ  kloop16

	// tilestored %tmm0, (%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x3a
	// tilestored %tmm1, 0x40(%r10,%rdi,1)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x3a; BYTE $0x40
	// tilerelease
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0
	RET

// func amxPanel16Code() *byte: the first byte of amxPanel16's code (for TestAMXEncoding).
TEXT ·amxPanel16Code(SB), NOSPLIT, $0-8
	LEAQ ·amxPanel16(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func amxPanelCode() *byte: the first byte of amxPanel's code (for TestAMXEncoding).
TEXT ·amxPanelCode(SB), NOSPLIT, $0-8
	LEAQ ·amxPanel(SB), AX
	MOVQ AX, ret+0(FP)
	RET

// func amxPackB(pairs int, dst *uint16, src *float32, off, msk *int32, masks *byte, width int)
//
// Gathers rows 0..2·pairs-1 of a Gathered B (src = &Data[j0], masks = &Masks[0] + j0/8 bytes,
// as gatherArgs) into AMX B tile rows: pair t (rows 2t, 2t+1) at dst + 128·t bytes, 32 columns
// × (row 2t, row 2t+1) as truncated bfloat16 (dword j = upper half of row 2t+1's float |
// upper half of row 2t's shifted down: VPSRLD, then VPTERNLOGD (a & 0xffff0000) | b); width
// is 32 or 16 (columns 16-31 then zero).
// Masked-off elements are zero and never read (AVX-512 masked loads do not fault).
TEXT ·amxPackB(SB), NOSPLIT, $0-56
	MOVQ pairs+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVQ off+24(FP), R8
	MOVQ msk+32(FP), R9
	MOVQ masks+40(FP), R10
	MOVQ width+48(FP), R11
	MOVL         $0xffff0000, AX
	VPBROADCASTD AX, Z31
	TESTQ        CX, CX
	JZ           packdone
	CMPQ         R11, $32
	JNE   half

	// 32 columns: both mask words of a row in one 32-bit load, the upper one shifted down.
full:
	MOVLQSX     (R8), AX
	MOVLQSX     4(R8), BX
	MOVLQSX     (R9), DX
	MOVLQSX     4(R9), R12
	KMOVD       (R10)(DX*2), K1
	KMOVD       (R10)(R12*2), K3
	KSHIFTRD    $16, K1, K2
	KSHIFTRD    $16, K3, K4
	VMOVDQU32.Z (SI)(AX*4), K1, Z0
	VMOVDQU32.Z (SI)(BX*4), K3, Z2
	VMOVDQU32.Z 64(SI)(AX*4), K2, Z1
	VMOVDQU32.Z 64(SI)(BX*4), K4, Z3
	VPSRLD      $16, Z0, Z0
	VPSRLD      $16, Z1, Z1
	VPTERNLOGD  $0xea, Z0, Z31, Z2
	VPTERNLOGD  $0xea, Z1, Z31, Z3
	VMOVDQU64   Z2, (DI)
	VMOVDQU64   Z3, 64(DI)
	ADDQ        $8, R8
	ADDQ        $8, R9
	ADDQ        $128, DI
	DECQ        CX
	JNZ         full
	JMP         packdone

	// 16 columns (the last panel of an n ≡ 16 mod 32): columns 16-31 zero.
half:
	VPXORQ Z1, Z1, Z1

halfloop:
	MOVLQSX     (R8), AX
	MOVLQSX     4(R8), BX
	MOVLQSX     (R9), DX
	MOVLQSX     4(R9), R12
	KMOVW       (R10)(DX*2), K1
	KMOVW       (R10)(R12*2), K3
	VMOVDQU32.Z (SI)(AX*4), K1, Z0
	VMOVDQU32.Z (SI)(BX*4), K3, Z2
	VPSRLD      $16, Z0, Z0
	VPTERNLOGD  $0xea, Z0, Z31, Z2
	VMOVDQU64   Z2, (DI)
	VMOVDQU64   Z1, 64(DI)
	ADDQ        $8, R8
	ADDQ        $8, R9
	ADDQ        $128, DI
	DECQ        CX
	JNZ         halfloop

packdone:
	VZEROUPPER
	RET

// func amxEpilogue(m, width int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool)
//
// c[i][j] = ReLU?(t[i][j] + (bias[i] + res[i][j])) for i < m, j < width (1 to 32), t rows
// 32 floats apart, c and res rows ldc and ldr floats apart, res optional (nil); the ReLU is
// max(0, x) keeping NaN. With round, each result is rounded to bfloat16 as RoundBF16 does
// (bits b → (b + 0x7fff + (b>>16 & 1)) & 0xffff0000, a NaN → (b | 0x00400000) & 0xffff0000).
TEXT ·amxEpilogue(SB), NOSPLIT, $0-66
	MOVQ    m+0(FP), CX
	MOVQ    width+8(FP), R11
	MOVQ    t+16(FP), SI
	MOVQ    c+24(FP), DI
	MOVQ    ldc+32(FP), R8
	SHLQ    $2, R8
	MOVQ    bias+40(FP), AX
	MOVQ    res+48(FP), BX
	MOVQ    ldr+56(FP), R9
	SHLQ    $2, R9
	MOVBQZX relu+64(FP), DX
	MOVBQZX round+65(FP), R10
	VPXORD  Z5, Z5, Z5
	MOVL    $0x7fff, R12
	VPBROADCASTD R12, Z24
	MOVL    $1, R12
	VPBROADCASTD R12, Z25
	MOVL    $0xffff0000, R12
	VPBROADCASTD R12, Z26
	MOVL    $0x7fffffff, R12
	VPBROADCASTD R12, Z27
	MOVL    $0x7f800000, R12
	VPBROADCASTD R12, Z28
	MOVL    $0x00400000, R12
	VPBROADCASTD R12, Z29
	WIDTHMASKS
	TESTQ   CX, CX
	JZ      epidone

epiloop:
	VBROADCASTSS (AX), Z2
	VMOVAPS      Z2, Z3
	TESTQ        BX, BX
	JZ           nores
	VADDPS       (BX), Z2, K2, Z2
	VADDPS       64(BX), Z3, K3, Z3

nores:
	VADDPS (SI), Z2, Z0
	VADDPS 64(SI), Z3, Z1
	TESTQ  DX, DX
	JZ     norelu
	VMAXPS Z0, Z5, Z0
	VMAXPS Z1, Z5, Z1

norelu:
	TESTQ     R10, R10
	JZ        store
	VPSRLD    $16, Z0, Z6
	VPANDD    Z25, Z6, Z6
	VPADDD    Z24, Z6, Z6
	VPADDD    Z0, Z6, Z6
	VPANDD    Z27, Z0, Z7
	VPCMPUD   $6, Z28, Z7, K1
	VPORD     Z29, Z0, K1, Z6
	VPANDD    Z26, Z6, Z0
	VPSRLD    $16, Z1, Z6
	VPANDD    Z25, Z6, Z6
	VPADDD    Z24, Z6, Z6
	VPADDD    Z1, Z6, Z6
	VPANDD    Z27, Z1, Z7
	VPCMPUD   $6, Z28, Z7, K1
	VPORD     Z29, Z1, K1, Z6
	VPANDD    Z26, Z6, Z1

store:
	VMOVUPS Z0, K2, (DI)
	VMOVUPS Z1, K3, 64(DI)

epinext:
	ADDQ  $4, AX
	ADDQ  $128, SI
	ADDQ  R8, DI
	TESTQ BX, BX
	JZ    epicount
	ADDQ  R9, BX

epicount:
	DECQ CX
	JNZ  epiloop

epidone:
	VZEROUPPER
	RET

// func amxPackPairs(pairs int, dst *uint16, src *uint32, off, msk *int32, masks *byte, width int)
//
// Copies row pairs 0..pairs-1 of a Paired B (src = &Data[j0], masks = &Masks[0] + j0/8
// bytes) into AMX B tile rows: pair t at dst + 128·t bytes, its window's 32 words with the
// masked-off ones zero; width is 32 or 16 (words 16-31 then zero). Masked-off words are never
// read (AVX-512 masked loads do not fault).
TEXT ·amxPackPairs(SB), NOSPLIT, $0-56
	MOVQ  pairs+0(FP), CX
	MOVQ  dst+8(FP), DI
	MOVQ  src+16(FP), SI
	MOVQ  off+24(FP), R8
	MOVQ  msk+32(FP), R9
	MOVQ  masks+40(FP), R10
	MOVQ  width+48(FP), R11
	TESTQ CX, CX
	JZ    ppdone
	CMPQ  R11, $32
	JNE   pphalf

ppfull:
	MOVLQSX     (R8), AX
	MOVLQSX     (R9), DX
	KMOVD       (R10)(DX*2), K1
	KSHIFTRD    $16, K1, K2
	VMOVDQU32.Z (SI)(AX*4), K1, Z0
	VMOVDQU32.Z 64(SI)(AX*4), K2, Z1
	VMOVDQU64   Z0, (DI)
	VMOVDQU64   Z1, 64(DI)
	ADDQ        $4, R8
	ADDQ        $4, R9
	ADDQ        $128, DI
	DECQ        CX
	JNZ         ppfull
	JMP         ppdone

pphalf:
	VPXORQ Z1, Z1, Z1

pphalfloop:
	MOVLQSX     (R8), AX
	MOVLQSX     (R9), DX
	KMOVW       (R10)(DX*2), K1
	VMOVDQU32.Z (SI)(AX*4), K1, Z0
	VMOVDQU64   Z0, (DI)
	VMOVDQU64   Z1, 64(DI)
	ADDQ        $4, R8
	ADDQ        $4, R9
	ADDQ        $128, DI
	DECQ        CX
	JNZ         pphalfloop

ppdone:
	VZEROUPPER
	RET

// ROUNDBF16(x) rounds the floats of x to bfloat16 as RoundBF16 does, with the constants of
// amxEpilogue (Z24-Z29) and scratch Z6, Z7, K1.
#define ROUNDBF16(x) \
	VPSRLD  $16, x, Z6 \
	VPANDD  Z25, Z6, Z6 \
	VPADDD  Z24, Z6, Z6 \
	VPADDD  x, Z6, Z6 \
	VPANDD  Z27, x, Z7 \
	VPCMPUD $6, Z28, Z7, K1 \
	VPORD   Z29, x, K1, Z6 \
	VPANDD  Z26, Z6, x

// EPIROW(t0, t1, bias, l1, l2) sets Z0, Z1 to ReLU?(t + (bias + res)) for the two halves t0,
// t1 of one row of 32 columns (res at BX, nil: bias alone; columns 16-31 of res read only when
// K2, K3 say so: WIDTHMASKS), rounded to bfloat16; DX = relu; l1, l2 fresh labels.
#define EPIROW(t0, t1, bias, l1, l2) \
	VBROADCASTSS bias, Z2 \
	VMOVAPS      Z2, Z3 \
	TESTQ        BX, BX \
	JZ           l1 \
	VADDPS       (BX), Z2, K2, Z2 \
	VADDPS       64(BX), Z3, K3, Z3 \
l1: \
	VADDPS t0, Z2, Z0 \
	VADDPS t1, Z3, Z1 \
	TESTQ  DX, DX \
	JZ     l2 \
	VMAXPS Z0, Z5, Z0 \
	VMAXPS Z1, Z5, Z1 \
l2: \
	ROUNDBF16(Z0) \
	ROUNDBF16(Z1)

// func amxEpiloguePairs(m, width int, t, c *float32, ldc int, bias, res *float32, ldr int, relu bool, p *uint32, ldp int)
//
// amxEpilogue with round, for m even, that also stores the rounded results as bfloat16
// channel pairs (and only those when c is nil): row pair r (rows 2r, 2r+1) at p + 4·r·ldp bytes, word j = (row 2r+1's upper
// half) | (row 2r's upper half) >> 16, for j < width (1 to 32).
TEXT ·amxEpiloguePairs(SB), NOSPLIT, $0-88
	MOVQ    m+0(FP), CX
	SHRQ    $1, CX
	MOVQ    width+8(FP), R11
	MOVQ    t+16(FP), SI
	MOVQ    c+24(FP), DI
	MOVQ    ldc+32(FP), R8
	SHLQ    $2, R8
	TESTQ   DI, DI
	JNZ     eppc
	XORQ    R8, R8 // no float32 results: DI stays nil

eppc:
	MOVQ    bias+40(FP), AX
	MOVQ    res+48(FP), BX
	MOVQ    ldr+56(FP), R9
	SHLQ    $2, R9
	MOVBQZX relu+64(FP), DX
	MOVQ    p+72(FP), R10
	MOVQ    ldp+80(FP), R12
	SHLQ    $2, R12
	VPXORD  Z5, Z5, Z5
	MOVL    $0x7fff, R13
	VPBROADCASTD R13, Z24
	MOVL    $1, R13
	VPBROADCASTD R13, Z25
	MOVL    $0xffff0000, R13
	VPBROADCASTD R13, Z26
	MOVL    $0x7fffffff, R13
	VPBROADCASTD R13, Z27
	MOVL    $0x7f800000, R13
	VPBROADCASTD R13, Z28
	MOVL    $0x00400000, R13
	VPBROADCASTD R13, Z29
	WIDTHMASKS
	TESTQ   CX, CX
	JZ      eppdone

epploop:
	EPIROW((SI), 64(SI), (AX), eppa0, eppb0)
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	TESTQ   DI, DI
	JZ      eppodd
	VMOVUPS Z0, K2, (DI)
	VMOVUPS Z1, K3, 64(DI)

eppodd:
	ADDQ  R8, DI
	TESTQ BX, BX
	JZ    eppodd2
	ADDQ  R9, BX

eppodd2:
	EPIROW(128(SI), 192(SI), 4(AX), eppa1, eppb1)
	TESTQ   DI, DI
	JZ      epppairs
	VMOVUPS Z0, K2, (DI)
	VMOVUPS Z1, K3, 64(DI)

epppairs:
	VPSRLD     $16, Z10, Z10
	VPTERNLOGD $0xea, Z10, Z26, Z0
	VMOVDQU32  Z0, K2, (R10)
	VPSRLD     $16, Z11, Z11
	VPTERNLOGD $0xea, Z11, Z26, Z1
	VMOVDQU32  Z1, K3, 64(R10)

eppnext:
	ADDQ  $8, AX
	ADDQ  $256, SI
	ADDQ  R8, DI
	ADDQ  R12, R10
	TESTQ BX, BX
	JZ    eppcount
	ADDQ  R9, BX

eppcount:
	DECQ CX
	JNZ  epploop

eppdone:
	VZEROUPPER
	RET

// GRIDROW(t0, t1, bias, l1, l2, l3) sets Z0, Z1 to round?(ReLU?(t + (bias + res))) for the two
// halves t0, t1 of one row of 32 columns, the residual's values expanded into the columns of
// K2 (from BX) and K3 (from BX + R11): the valid columns take consecutive residual values.
// DX = relu, R14 = round; l1, l2, l3 fresh labels.
#define GRIDROW(t0, t1, bias, l1, l2, l3) \
	VBROADCASTSS bias, Z2 \
	VMOVAPS      Z2, Z3 \
	TESTQ        BX, BX \
	JZ           l1 \
	VEXPANDPS    (BX), K2, Z12 \
	VEXPANDPS    (BX)(R11*1), K3, Z13 \
	VADDPS       Z12, Z2, Z2 \
	VADDPS       Z13, Z3, Z3 \
l1: \
	VADDPS t0, Z2, Z0 \
	VADDPS t1, Z3, Z1 \
	TESTQ  DX, DX \
	JZ     l2 \
	VMAXPS Z0, Z5, Z0 \
	VMAXPS Z1, Z5, Z1 \
l2: \
	TESTQ R14, R14 \
	JZ    l3 \
	ROUNDBF16(Z0) \
	ROUNDBF16(Z1) \
l3:

// GRIDSTORE compresses the valid columns of Z0 (K2) and Z1 (K3) into consecutive floats of
// C's row at DI (the second half R11 bytes on; K4, K5 their counts as masks), unless DI is nil.
#define GRIDSTORE(l1) \
	TESTQ       DI, DI \
	JZ          l1 \
	VCOMPRESSPS Z0, K2, Z8 \
	VMOVUPS     Z8, K4, (DI) \
	VCOMPRESSPS Z1, K3, Z9 \
	VMOVUPS     Z9, K5, (DI)(R11*1) \
l1:

// func amxEpilogueGrid(m int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)
//
// amxEpilogue for a block of 32 columns of which those in mask are pixels, stored in C (and
// read from res) as consecutive floats: the valid column with the i-th set bit of mask goes to
// c + 4i bytes (rows ldc floats apart; c nil: none); with p not nil (m even, round) also the
// pairs of rows 2r, 2r+1 at the valid columns' words of p + 4·r·ldp bytes, as
// amxEpiloguePairs stores them; other words of p are not written.
TEXT ·amxEpilogueGrid(SB), NOSPLIT, $0-84
	MOVQ    m+0(FP), CX
	SHRQ    $1, CX
	MOVQ    t+8(FP), SI
	MOVQ    c+16(FP), DI
	MOVQ    ldc+24(FP), R8
	SHLQ    $2, R8
	TESTQ   DI, DI
	JNZ     egc
	XORQ    R8, R8 // no float32 results: DI stays nil

egc:
	MOVQ    bias+32(FP), AX
	MOVQ    res+40(FP), BX
	MOVQ    ldr+48(FP), R9
	SHLQ    $2, R9
	MOVBQZX relu+56(FP), DX
	MOVBQZX round+57(FP), R14
	MOVQ    p+64(FP), R10
	MOVQ    ldp+72(FP), R12
	SHLQ    $2, R12
	TESTQ   R10, R10
	JNZ     egp
	XORQ    R12, R12 // no pairs: R10 stays nil

egp:
	MOVL    mask+80(FP), R13
	KMOVD   R13, K2
	KSHIFTRD $16, K2, K3
	// K4, K5: as many low lanes as K2, K3 have set; R11 = 4·popcount(K2).
	MOVL    R13, R11
	ANDL    $0xffff, R11
	POPCNTL R11, R11
	MOVQ    $1, R15
	SHLXQ   R11, R15, R15
	DECQ    R15
	KMOVD   R15, K4
	SHRL    $16, R13
	POPCNTL R13, R13
	MOVQ    $1, R15
	SHLXQ   R13, R15, R15
	DECQ    R15
	KMOVD   R15, K5
	SHLQ    $2, R11
	VPXORD  Z5, Z5, Z5
	MOVL    $0x7fff, R13
	VPBROADCASTD R13, Z24
	MOVL    $1, R13
	VPBROADCASTD R13, Z25
	MOVL    $0xffff0000, R13
	VPBROADCASTD R13, Z26
	MOVL    $0x7fffffff, R13
	VPBROADCASTD R13, Z27
	MOVL    $0x7f800000, R13
	VPBROADCASTD R13, Z28
	MOVL    $0x00400000, R13
	VPBROADCASTD R13, Z29
	TESTQ   CX, CX
	JZ      egdone

egloop:
	GRIDROW((SI), 64(SI), (AX), ega0, egb0, egr0)
	GRIDSTORE(egs0)
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	ADDQ    R8, DI
	TESTQ   BX, BX
	JZ      egodd
	ADDQ    R9, BX

egodd:
	GRIDROW(128(SI), 192(SI), 4(AX), ega1, egb1, egr1)
	GRIDSTORE(egs1)
	TESTQ      R10, R10
	JZ         egnext
	VPSRLD     $16, Z10, Z10
	VPTERNLOGD $0xea, Z10, Z26, Z0
	VMOVDQU32  Z0, K2, (R10)
	VPSRLD     $16, Z11, Z11
	VPTERNLOGD $0xea, Z11, Z26, Z1
	VMOVDQU32  Z1, K3, 64(R10)

egnext:
	ADDQ  $8, AX
	ADDQ  $256, SI
	ADDQ  R8, DI
	ADDQ  R12, R10
	TESTQ BX, BX
	JZ    egcount
	ADDQ  R9, BX

egcount:
	DECQ CX
	JNZ  egloop

egdone:
	VZEROUPPER
	RET

// func amxEpilogueGridX(m int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)
//
// amxEpilogueGrid for a window of 32 positions whose pixels (the set bits of mask) are
// consecutive columns of t as well (from t on, rows 32 floats apart): the products of
// consecutive pixels stored, with their pairs, at their positions in a grid.
TEXT ·amxEpilogueGridX(SB), NOSPLIT, $0-84
	MOVQ    m+0(FP), CX
	SHRQ    $1, CX
	MOVQ    t+8(FP), SI
	MOVQ    c+16(FP), DI
	MOVQ    ldc+24(FP), R8
	SHLQ    $2, R8
	TESTQ   DI, DI
	JNZ     exc
	XORQ    R8, R8 // no float32 results: DI stays nil

exc:
	MOVQ    bias+32(FP), AX
	MOVQ    res+40(FP), BX
	MOVQ    ldr+48(FP), R9
	SHLQ    $2, R9
	MOVBQZX relu+56(FP), DX
	MOVBQZX round+57(FP), R14
	MOVQ    p+64(FP), R10
	MOVQ    ldp+72(FP), R12
	SHLQ    $2, R12
	TESTQ   R10, R10
	JNZ     exp
	XORQ    R12, R12 // no pairs: R10 stays nil

exp:
	MOVL    mask+80(FP), R13
	KMOVD   R13, K2
	KSHIFTRD $16, K2, K3
	// K4, K5: as many low lanes as K2, K3 have set; R11 = 4·popcount(K2).
	MOVL    R13, R11
	ANDL    $0xffff, R11
	POPCNTL R11, R11
	MOVQ    $1, R15
	SHLXQ   R11, R15, R15
	DECQ    R15
	KMOVD   R15, K4
	SHRL    $16, R13
	POPCNTL R13, R13
	MOVQ    $1, R15
	SHLXQ   R13, R15, R15
	DECQ    R15
	KMOVD   R15, K5
	SHLQ    $2, R11
	VPXORD  Z5, Z5, Z5
	MOVL    $0x7fff, R13
	VPBROADCASTD R13, Z24
	MOVL    $1, R13
	VPBROADCASTD R13, Z25
	MOVL    $0xffff0000, R13
	VPBROADCASTD R13, Z26
	MOVL    $0x7fffffff, R13
	VPBROADCASTD R13, Z27
	MOVL    $0x7f800000, R13
	VPBROADCASTD R13, Z28
	MOVL    $0x00400000, R13
	VPBROADCASTD R13, Z29
	TESTQ   CX, CX
	JZ      exdone

exloop:
	VEXPANDPS (SI), K2, Z14
	VEXPANDPS (SI)(R11*1), K3, Z15
	GRIDROW(Z14, Z15, (AX), exa0, exb0, exr0)
	GRIDSTORE(exs0)
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	ADDQ    R8, DI
	TESTQ   BX, BX
	JZ      exodd
	ADDQ    R9, BX

exodd:
	VEXPANDPS 128(SI), K2, Z14
	VEXPANDPS 128(SI)(R11*1), K3, Z15
	GRIDROW(Z14, Z15, 4(AX), exa1, exb1, exr1)
	GRIDSTORE(exs1)
	TESTQ      R10, R10
	JZ         exnext
	VPSRLD     $16, Z10, Z10
	VPTERNLOGD $0xea, Z10, Z26, Z0
	VMOVDQU32  Z0, K2, (R10)
	VPSRLD     $16, Z11, Z11
	VPTERNLOGD $0xea, Z11, Z26, Z1
	VMOVDQU32  Z1, K3, 64(R10)

exnext:
	ADDQ  $8, AX
	ADDQ  $256, SI
	ADDQ  R8, DI
	ADDQ  R12, R10
	TESTQ BX, BX
	JZ    excount
	ADDQ  R9, BX

excount:
	DECQ CX
	JNZ  exloop

exdone:
	VZEROUPPER
	RET

// GRIDROWLO and GRIDROWHI are GRIDROW with the residual row 2r (the lower halves) or 2r+1
// (the upper halves) of the 32 pair words at BX.
#define GRIDROWLO(t0, t1, bias, l1, l2, l3) \
	VBROADCASTSS bias, Z2 \
	VMOVAPS      Z2, Z3 \
	TESTQ        BX, BX \
	JZ           l1 \
	VMOVDQU32    (BX), Z12 \
	VMOVDQU32    64(BX), Z13 \
	VPSLLD       $16, Z12, Z12 \
	VPSLLD       $16, Z13, Z13 \
	VADDPS       Z12, Z2, Z2 \
	VADDPS       Z13, Z3, Z3 \
l1: \
	GRIDTAIL(t0, t1, l2, l3)

#define GRIDROWHI(t0, t1, bias, l1, l2, l3) \
	VBROADCASTSS bias, Z2 \
	VMOVAPS      Z2, Z3 \
	TESTQ        BX, BX \
	JZ           l1 \
	VPANDD       (BX), Z26, Z12 \
	VPANDD       64(BX), Z26, Z13 \
	VADDPS       Z12, Z2, Z2 \
	VADDPS       Z13, Z3, Z3 \
l1: \
	GRIDTAIL(t0, t1, l2, l3)

// GRIDTAIL is the end of GRIDROW: the sum, the ReLU and the rounding.
#define GRIDTAIL(t0, t1, l2, l3) \
	VADDPS t0, Z2, Z0 \
	VADDPS t1, Z3, Z1 \
	TESTQ  DX, DX \
	JZ     l2 \
	VMAXPS Z0, Z5, Z0 \
	VMAXPS Z1, Z5, Z1 \
l2: \
	TESTQ R14, R14 \
	JZ    l3 \
	ROUNDBF16(Z0) \
	ROUNDBF16(Z1) \
l3:

// func amxEpilogueGridP(m int, t, c *float32, ldc int, bias *float32, res *uint32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)
//
// amxEpilogueGrid with the residual read as bfloat16 channel pairs at the block's positions:
// rows 2r and 2r+1 take the lower and upper halves of the 32 words at res + 4·r·ldr bytes
// (res nil: none).
TEXT ·amxEpilogueGridP(SB), NOSPLIT, $0-84
	MOVQ    m+0(FP), CX
	SHRQ    $1, CX
	MOVQ    t+8(FP), SI
	MOVQ    c+16(FP), DI
	MOVQ    ldc+24(FP), R8
	SHLQ    $2, R8
	TESTQ   DI, DI
	JNZ     epc
	XORQ    R8, R8 // no float32 results: DI stays nil

epc:
	MOVQ    bias+32(FP), AX
	MOVQ    res+40(FP), BX
	MOVQ    ldr+48(FP), R9
	SHLQ    $2, R9
	MOVBQZX relu+56(FP), DX
	MOVBQZX round+57(FP), R14
	MOVQ    p+64(FP), R10
	MOVQ    ldp+72(FP), R12
	SHLQ    $2, R12
	TESTQ   R10, R10
	JNZ     epp
	XORQ    R12, R12 // no pairs: R10 stays nil

epp:
	MOVL    mask+80(FP), R13
	KMOVD   R13, K2
	KSHIFTRD $16, K2, K3
	// K4, K5: as many low lanes as K2, K3 have set; R11 = 4·popcount(K2).
	MOVL    R13, R11
	ANDL    $0xffff, R11
	POPCNTL R11, R11
	MOVQ    $1, R15
	SHLXQ   R11, R15, R15
	DECQ    R15
	KMOVD   R15, K4
	SHRL    $16, R13
	POPCNTL R13, R13
	MOVQ    $1, R15
	SHLXQ   R13, R15, R15
	DECQ    R15
	KMOVD   R15, K5
	SHLQ    $2, R11
	VPXORD  Z5, Z5, Z5
	MOVL    $0x7fff, R13
	VPBROADCASTD R13, Z24
	MOVL    $1, R13
	VPBROADCASTD R13, Z25
	MOVL    $0xffff0000, R13
	VPBROADCASTD R13, Z26
	MOVL    $0x7fffffff, R13
	VPBROADCASTD R13, Z27
	MOVL    $0x7f800000, R13
	VPBROADCASTD R13, Z28
	MOVL    $0x00400000, R13
	VPBROADCASTD R13, Z29
	TESTQ   CX, CX
	JZ      epdone

eploop:
	GRIDROWLO((SI), 64(SI), (AX), epa0, epb0, epr0)
	GRIDSTORE(eps0)
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	ADDQ    R8, DI

epodd:
	GRIDROWHI(128(SI), 192(SI), 4(AX), epa1, epb1, epr1)
	GRIDSTORE(eps1)
	TESTQ      R10, R10
	JZ         epnext
	VPSRLD     $16, Z10, Z10
	VPTERNLOGD $0xea, Z10, Z26, Z0
	VMOVDQU32  Z0, K2, (R10)
	VPSRLD     $16, Z11, Z11
	VPTERNLOGD $0xea, Z11, Z26, Z1
	VMOVDQU32  Z1, K3, 64(R10)

epnext:
	ADDQ  $8, AX
	ADDQ  $256, SI
	ADDQ  R8, DI
	ADDQ  R12, R10
	TESTQ BX, BX
	JZ    epcount
	ADDQ  R9, BX

epcount:
	DECQ CX
	JNZ  eploop

epdone:
	VZEROUPPER
	RET
