// Copyright 2025 The landscape Authors.

//go:build ignore

// gen_kernels writes the amd64 assembly micro-kernels of package gemm.
//
// Run it with `go generate` in cpu/gemm (see impl_amd64.go). Every kernel has
// the Go signature
//
//	func name(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
//
// and computes, for the MR×NR tile T = Σ_p a[p*MR+i]·b[p*ldb+j] (a is a packed
// A micro-panel, b points to k rows of NR floats ldb apart: a packed B
// micro-panel with ldb = NR, or B itself),
//
//	c[i*ldc+j] = alpha·T[i][j] + beta·c[i*ldc+j]   (beta == ±0: c is not read).
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
)

type kernel struct {
	name   string
	mr     int  // rows of the tile
	nv     int  // vectors per row: NR = nv*lanes
	zmm    bool // AVX-512 (16 lanes, Z registers) or AVX2+FMA (8 lanes, Y registers)
	bcst   bool // AVX-512: embedded-broadcast FMA operands instead of VBROADCASTSS
	unroll int  // k-loop unrolling
}

func (kn kernel) lanes() int {
	if kn.zmm {
		return 16
	}
	return 8
}

func (kn kernel) reg(i int) string {
	if kn.zmm {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

type writer struct{ bytes.Buffer }

func (w *writer) f(format string, args ...any) {
	fmt.Fprintf(&w.Buffer, format, args...)
	w.WriteByte('\n')
}

func (kn kernel) emit(w *writer) {
	mr, nv := kn.mr, kn.nv
	nacc := mr * nv
	vbytes := kn.lanes() * 4
	nr := nv * kn.lanes()
	nreg := 16
	if kn.zmm {
		nreg = 32
	}
	if mr > 8 || nacc+nv+1 > nreg {
		log.Fatalf("%s: too many rows or registers", kn.name)
	}
	bReg := func(v int) string { return kn.reg(nacc + v) } // B vectors
	bc := kn.reg(nacc + nv)                                // broadcast register
	acc := func(i, v int) string { return kn.reg(i*nv + v) }
	// aRow(i) addresses A[i][p] for the current p: rows 0-3 hang off AX,
	// rows 4-7 off R9 = AX + 4·rs, with R10 = rs and R11 = 3·rs (bytes).
	aRow := func(i int) string {
		base := "AX"
		if i >= 4 {
			base = "R9"
		}
		return fmt.Sprintf([...]string{"(%s)", "(%s)(R10*1)", "(%s)(R10*2)", "(%s)(R11*1)"}[i%4], base)
	}

	w.f("// func %s(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, bp *float32)", kn.name)
	w.f("// Requires: %s", map[bool]string{true: "AVX512F", false: "AVX, AVX2, FMA3"}[kn.zmm])
	w.f("TEXT ·%s(SB), NOSPLIT, $0-80", kn.name)
	w.f("\tMOVQ k+0(FP), CX")
	w.f("\tMOVQ a+8(FP), AX")
	w.f("\tMOVQ rsa+16(FP), R10")
	w.f("\tSHLQ $2, R10")
	w.f("\tLEAQ (R10)(R10*2), R11")
	w.f("\tLEAQ (AX)(R10*4), R9")
	w.f("\tMOVQ csa+24(FP), R12")
	w.f("\tSHLQ $2, R12")
	w.f("\tMOVQ b+32(FP), BX")
	w.f("\tMOVQ ldb+40(FP), DX")
	w.f("\tSHLQ $2, DX")
	w.f("\tMOVQ c+48(FP), DI")
	w.f("\tMOVQ ldc+56(FP), SI")
	w.f("\tSHLQ $2, SI")
	w.f("")
	w.f("\t// Prefetch the C tile and zero the accumulators.")
	w.f("\tMOVQ DI, R13")
	for i := 0; i < mr; i++ {
		for l := 0; l < (nv*vbytes+63)/64; l++ {
			w.f("\tPREFETCHT0 %d(R13)", l*64)
		}
		if i < mr-1 {
			w.f("\tADDQ SI, R13")
		}
	}
	for i := 0; i < nacc; i++ {
		w.f("\tVXORPS %s, %s, %s", kn.reg(i), kn.reg(i), kn.reg(i))
	}
	w.f("")
	// step emits one k-step; with pack, it also stores the row of B at R13.
	step := func(pack bool) {
		for v := 0; v < nv; v++ {
			w.f("\tVMOVUPS %d(BX), %s", v*vbytes, bReg(v))
		}
		if pack {
			for v := 0; v < nv; v++ {
				w.f("\tVMOVUPS %s, %d(R13)", bReg(v), v*vbytes)
			}
		}
		for i := 0; i < mr; i++ {
			a := aRow(i)
			if kn.bcst {
				for v := 0; v < nv; v++ {
					w.f("\tVFMADD231PS.BCST %s, %s, %s", a, bReg(v), acc(i, v))
				}
			} else {
				w.f("\tVBROADCASTSS %s, %s", a, bc)
				for v := 0; v < nv; v++ {
					w.f("\tVFMADD231PS %s, %s, %s", bReg(v), bc, acc(i, v))
				}
			}
		}
		w.f("\tADDQ R12, AX")
		if mr > 4 {
			w.f("\tADDQ R12, R9")
		}
		w.f("\tADDQ DX, BX")
		if pack {
			w.f("\tADDQ $%d, R13", nr*4)
		}
	}
	U := kn.unroll
	w.f("\tMOVQ CX, R8")
	w.f("\tSHRQ $%d, R8", log2(U))
	w.f("\tANDQ $%d, CX", U-1)
	w.f("\tMOVQ bp+72(FP), R13")
	w.f("\tTESTQ R13, R13")
	w.f("\tJNZ packloop0")
	for _, pack := range []bool{false, true} {
		p := ""
		if pack {
			p = "pack"
		}
		w.f("")
		w.f("%sloop0:", p)
		w.f("\tTESTQ R8, R8")
		w.f("\tJZ %stail", p)
		w.f("")
		w.f("%sloop:", p)
		for u := 0; u < U; u++ {
			step(pack)
		}
		w.f("\tDECQ R8")
		w.f("\tJNZ %sloop", p)
		w.f("")
		w.f("%stail:", p)
		w.f("\tTESTQ CX, CX")
		w.f("\tJZ update")
		w.f("")
		w.f("%stailloop:", p)
		step(pack)
		w.f("\tDECQ CX")
		w.f("\tJNZ %stailloop", p)
		w.f("\tJMP update")
	}
	w.f("")
	w.f("update:")
	alpha, beta := kn.reg(nacc), kn.reg(nacc+1)
	w.f("\tVBROADCASTSS alpha+64(FP), %s", alpha)
	w.f("\tMOVL beta+68(FP), R8")
	w.f("\tSHLL $1, R8 // drop the sign: beta == -0 counts as 0")
	w.f("\tJZ store")
	w.f("\tVBROADCASTSS beta+68(FP), %s", beta)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			w.f("\tVMULPS %s, %s, %s", alpha, acc(i, v), acc(i, v))
			w.f("\tVFMADD231PS %d(DI), %s, %s", v*vbytes, beta, acc(i, v))
			w.f("\tVMOVUPS %s, %d(DI)", acc(i, v), v*vbytes)
		}
		if i < mr-1 {
			w.f("\tADDQ SI, DI")
		}
	}
	w.f("\tVZEROUPPER")
	w.f("\tRET")
	w.f("")
	w.f("store:")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			w.f("\tVMULPS %s, %s, %s", alpha, acc(i, v), acc(i, v))
			w.f("\tVMOVUPS %s, %d(DI)", acc(i, v), v*vbytes)
		}
		if i < mr-1 {
			w.f("\tADDQ SI, DI")
		}
	}
	w.f("\tVZEROUPPER")
	w.f("\tRET")
	w.f("")
}

func log2(u int) int {
	n := 0
	for 1<<n < u {
		n++
	}
	if 1<<n != u {
		log.Fatalf("unroll %d is not a power of 2", u)
	}
	return n
}

func main() {
	files := []struct {
		name    string
		kernels []kernel
	}{
		{"kernel_avx512_amd64.s", avx512Kernels},
		{"kernel_avx2_amd64.s", avx2Kernels},
	}
	for _, f := range files {
		var w writer
		w.f("// Code generated by gen_kernels.go; DO NOT EDIT.")
		w.f("")
		w.f("//go:build !noasm")
		w.f("")
		w.f("#include \"textflag.h\"")
		w.f("")
		for _, kn := range f.kernels {
			kn.emit(&w)
		}
		out := strings.TrimRight(w.String(), "\n") + "\n"
		if err := os.WriteFile(f.name, []byte(out), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// The kernels used by impl_amd64.go: for each instruction set a main kernel
// and narrower ones for the last columns of C (n is a multiple of 16 in the
// convolutions this package serves, so 48 + 16 or 32 cover every case).
var avx512Kernels = []kernel{
	{name: "kernAVX512x8x48", mr: 8, nv: 3, zmm: true, unroll: 4},
	{name: "kernAVX512x8x32", mr: 8, nv: 2, zmm: true, unroll: 4},
	{name: "kernAVX512x8x16", mr: 8, nv: 1, zmm: true, unroll: 4},
}

var avx2Kernels = []kernel{
	{name: "kernAVX2x4x24", mr: 4, nv: 3, unroll: 4},
	{name: "kernAVX2x4x16", mr: 4, nv: 2, unroll: 4},
	{name: "kernAVX2x4x8", mr: 4, nv: 1, unroll: 4},
}
