//go:build !noasm

#include "textflag.h"

// func getFPMode() uint32
TEXT ·getFPMode(SB), NOSPLIT, $0-4
	MRS  FPCR, R0
	MOVW R0, ret+0(FP)
	RET

// func setFPMode(m uint32)
TEXT ·setFPMode(SB), NOSPLIT, $0-4
	MOVWU m+0(FP), R0
	MSR   R0, FPCR
	RET
