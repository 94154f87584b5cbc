//go:build !noasm

package gemm

import (
	"sync"
	"syscall"
)

// Linux keeps the AMX tile data (XTILEDATA, state component 18) off until a process asks for
// it: arch_prctl(ARCH_REQ_XCOMP_PERM, 18); the first tile instruction without it is a SIGILL.
// The permission covers every thread of the process.
const (
	archReqXcompPerm  = 0x1023
	xfeatureXtiledata = 18
)

var amxPermission = sync.OnceValue(func() bool {
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return errno == 0
})
