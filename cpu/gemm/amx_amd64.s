//go:build !noasm

#include "textflag.h"

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

// func amxPanelCode() *byte: the first byte of amxPanel's code (for TestAMXEncoding).
TEXT ·amxPanelCode(SB), NOSPLIT, $0-8
	LEAQ ·amxPanel(SB), AX
	MOVQ AX, ret+0(FP)
	RET
