//go:build !noasm

#include "textflag.h"

// func getFPMode() uint32
TEXT ·getFPMode(SB), NOSPLIT, $8-4
	STMXCSR 0(SP)
	MOVL    0(SP), AX
	MOVL    AX, ret+0(FP)
	RET

// func setFPMode(m uint32)
TEXT ·setFPMode(SB), NOSPLIT, $8-4
	MOVL    m+0(FP), AX
	MOVL    AX, 0(SP)
	LDMXCSR 0(SP)
	RET
