// Copyright 2026 The landscape Authors.

//go:build ignore

// gen_neon writes kernel_neon_arm64.s, the arm64 (ASIMD) micro-kernels of
// package gemm: the twins of gen_kernels.go's amd64 kernels, with the same
// Go signatures and the same arithmetic (see kernelFunc in sgemm.go and
// epiKernelFunc in fused.go).
//
// Run it with `go generate` in cpu/gemm (see impl_arm64.go). An MR×NR tile
// (MR = 8, NR = 4·nv) is held in 8·nv of the 32 V registers, V0…; each
// k-step loads a row of B (nv vectors, one LD1), broadcasts A[i][p] for each
// row i with LD1R from the row's own pointer (A is read in place through its
// two strides, as on amd64), and issues 8·nv vector FMLAs. The gather
// packers of Fused's B panels are here too. Go's assembler
// has FMLA (vector) but not FADD, FMUL or FMAX on vectors: those are written
// as WORDs from the Arm ARM's encodings (see vop).
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
	nv     int // vectors of 4 floats per row: NR = 4·nv
	unroll int // k-loop unrolling (a power of 2)
	// epi: a fused-epilogue kernel (epiKernelFunc) instead of alpha/beta.
	epi bool
}

const mr = 8

type writer struct{ bytes.Buffer }

func (w *writer) f(format string, args ...any) {
	fmt.Fprintf(&w.Buffer, format, args...)
	w.WriteByte('\n')
}

// vop returns the WORD of a three-register vector instruction on 4 singles,
// Vd.4S = op(Vn.4S, Vm.4S): base is the encoding with the registers zero
// (Arm ARM, "Advanced SIMD three same": FADD 0x4e20d400, FMAX 0x4e20f400,
// FMUL 0x6e20dc00).
func vop(name string, base uint32, d, n, m int) string {
	return fmt.Sprintf("WORD $0x%08x // %s V%d.S4, V%d.S4, V%d.S4", base|uint32(m)<<16|uint32(n)<<5|uint32(d), name, d, n, m)
}

func fadd(d, n, m int) string { return vop("FADD", 0x4e20d400, d, n, m) }
func fmax(d, n, m int) string { return vop("FMAX", 0x4e20f400, d, n, m) }
func fmul(d, n, m int) string { return vop("FMUL", 0x6e20dc00, d, n, m) }

// vlist is the register list [Vfirst.S4, …] of n consecutive registers.
func vlist(first, n int) string {
	var s []string
	for v := first; v < first+n; v++ {
		s = append(s, fmt.Sprintf("V%d.S4", v))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// Registers: R2…R9 point at A[i][p] for rows i = 0…7 (advanced by R10 =
// 4·csa each step), R11 at the row p of B (advanced by R12 = 4·ldb), R13 at
// C (R14 = 4·ldc), R15 at the packed copy of B; R0 counts unrolled steps, R1
// the rest. V0…V(8·nv-1) accumulate, then nv registers hold the row of B and
// the rest, up to V31, take the broadcasts of A in turn.
func (kn kernel) emit(w *writer) {
	nv := kn.nv
	nacc := mr * nv
	bReg := nacc
	nbc := 32 - nacc - nv
	if nbc < 1 || nv > 4 {
		log.Fatalf("%s: too many registers", kn.name)
	}
	acc := func(i, v int) int { return i*nv + v }
	if kn.epi {
		w.f("// func %s(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, bias *float32, res *float32, ldr int, flags int, ga *gatherArgs)", kn.name)
		w.f("TEXT ·%s(SB), NOSPLIT, $0-104", kn.name)
	} else {
		w.f("// func %s(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, bp *float32)", kn.name)
		w.f("TEXT ·%s(SB), NOSPLIT, $0-80", kn.name)
	}
	emitEntry(w, nacc)
	U := kn.unroll
	w.f("\tLSR $%d, R1, R0", log2(U))
	w.f("\tAND $%d, R1, R1", U-1)
	packs := []bool{false}
	if !kn.epi {
		packs = append(packs, true)
		w.f("\tMOVD bp+72(FP), R15")
		w.f("\tCBNZ R15, packloop0")
	}
	bc := 0
	step := func(pack bool) {
		w.f("\tVLD1.P (R11)(R12), %s", vlist(bReg, nv))
		if pack {
			w.f("\tVST1.P %s, %d(R15)", vlist(bReg, nv), 16*nv)
		}
		for i := 0; i < mr; i++ {
			b := bReg + nv + bc%nbc
			bc++
			w.f("\tVLD1R.P (R%d)(R10), [V%d.S4]", 2+i, b)
			for v := 0; v < nv; v++ {
				w.f("\tVFMLA V%d.S4, V%d.S4, V%d.S4", b, bReg+v, acc(i, v))
			}
		}
	}
	for _, pack := range packs {
		p := ""
		if pack {
			p = "pack"
		}
		w.f("")
		w.f("%sloop0:", p)
		w.f("\tCBZ R0, %stail", p)
		w.f("")
		w.f("%sloop:", p)
		for u := 0; u < U; u++ {
			step(pack)
		}
		w.f("\tSUBS $1, R0, R0")
		w.f("\tBNE %sloop", p)
		w.f("")
		w.f("%stail:", p)
		w.f("\tCBZ R1, update")
		w.f("")
		w.f("%stailloop:", p)
		step(pack)
		w.f("\tSUBS $1, R1, R1")
		w.f("\tBNE %stailloop", p)
		w.f("\tB update")
	}
	w.f("")
	w.f("update:")
	if kn.epi {
		kn.emitEpilogue(w)
	} else {
		kn.emitUpdate(w)
	}
	w.f("")
}

// emitEntry loads the arguments shared by both signatures into the registers
// described above emit and zeroes the nacc accumulators.
func emitEntry(w *writer, nacc int) {
	w.f("\tMOVD k+0(FP), R1")
	w.f("\tMOVD a+8(FP), R2")
	w.f("\tMOVD rsa+16(FP), R16")
	w.f("\tLSL $2, R16")
	for r := 3; r <= 9; r++ {
		w.f("\tADD R16, R%d, R%d", r-1, r)
	}
	w.f("\tMOVD csa+24(FP), R10")
	w.f("\tLSL $2, R10")
	w.f("\tMOVD b+32(FP), R11")
	w.f("\tMOVD ldb+40(FP), R12")
	w.f("\tLSL $2, R12")
	w.f("\tMOVD c+48(FP), R13")
	w.f("\tMOVD ldc+56(FP), R14")
	w.f("\tLSL $2, R14")
	for i := 0; i < nacc; i++ {
		w.f("\tVEOR V%d.B16, V%d.B16, V%d.B16", i, i, i)
	}
}

// emitUpdate writes c = alpha·T + beta·c (c not read when beta == ±0).
func (kn kernel) emitUpdate(w *writer) {
	nv := kn.nv
	nacc := mr * nv
	alpha, beta, t := nacc, nacc+1, nacc+2 // then nv temporaries for a row of C
	w.f("\tMOVD $alpha+64(FP), R16")
	w.f("\tVLD1R (R16), [V%d.S4]", alpha)
	for i := 0; i < mr*nv; i++ {
		w.f("\t%s", fmul(i, i, alpha))
	}
	w.f("\tMOVWU beta+68(FP), R17")
	w.f("\tLSLW $1, R17, R17 // drop the sign: beta == -0 counts as 0")
	w.f("\tCBZW R17, store")
	w.f("\tMOVD $beta+68(FP), R16")
	w.f("\tVLD1R (R16), [V%d.S4]", beta)
	w.f("\tMOVD R13, R17")
	for i := 0; i < mr; i++ {
		w.f("\tVLD1.P (R17)(R14), %s", vlist(t, nv))
		for v := 0; v < nv; v++ {
			w.f("\tVFMLA V%d.S4, V%d.S4, V%d.S4", beta, t+v, i*nv+v)
		}
	}
	w.f("")
	w.f("store:")
	for i := 0; i < mr; i++ {
		w.f("\tVST1.P %s, (R13)(R14)", vlist(i*nv, nv))
	}
	w.f("\tRET")
}

// emitEpilogue writes the store of a fused-epilogue kernel: flags bit 0 adds
// the tile of C, bit 1 adds bias[i] + res[i*ldr+j] (or bias[i] alone when res
// is nil), bit 2 applies max(x, 0) keeping NaN (FMAX returns a NaN operand);
// then the tile is stored. The B and broadcast registers are free by now.
func (kn kernel) emitEpilogue(w *writer) {
	nv := kn.nv
	nacc := mr * nv
	t, bias := nacc, nacc+nv // nv temporaries, then the bias broadcast
	w.f("\tMOVD flags+88(FP), R16")
	w.f("\tTBZ $0, R16, noacc")
	w.f("\tMOVD R13, R17")
	for i := 0; i < mr; i++ {
		w.f("\tVLD1.P (R17)(R14), %s", vlist(t, nv))
		for v := 0; v < nv; v++ {
			w.f("\t%s", fadd(i*nv+v, i*nv+v, t+v))
		}
	}
	w.f("")
	w.f("noacc:")
	w.f("\tTBZ $1, R16, nobias")
	w.f("\tMOVD bias+64(FP), R17")
	w.f("\tMOVD res+72(FP), R19")
	w.f("\tCBZ R19, biasonly")
	w.f("\tMOVD ldr+80(FP), R20")
	w.f("\tLSL $2, R20")
	for i := 0; i < mr; i++ {
		w.f("\tVLD1R.P 4(R17), [V%d.S4]", bias)
		w.f("\tVLD1.P (R19)(R20), %s", vlist(t, nv))
		for v := 0; v < nv; v++ {
			// acc + (bias + res), the order of the reference epilogue.
			w.f("\t%s", fadd(t+v, bias, t+v))
			w.f("\t%s", fadd(i*nv+v, i*nv+v, t+v))
		}
	}
	w.f("\tB nobias")
	w.f("")
	w.f("biasonly:")
	for i := 0; i < mr; i++ {
		w.f("\tVLD1R.P 4(R17), [V%d.S4]", bias)
		for v := 0; v < nv; v++ {
			w.f("\t%s", fadd(i*nv+v, i*nv+v, bias))
		}
	}
	w.f("")
	w.f("nobias:")
	w.f("\tTBZ $2, R16, store")
	w.f("\tVEOR V%d.B16, V%d.B16, V%d.B16", bias, bias, bias)
	for i := 0; i < nacc; i++ {
		w.f("\t%s", fmax(i, i, bias))
	}
	w.f("")
	w.f("store:")
	for i := 0; i < mr; i++ {
		w.f("\tVST1.P %s, (R13)(R14)", vlist(i*nv, nv))
	}
	w.f("\tRET")
}

// gather is a packer of gathered B panels (gatherFunc in fused.go) nr = 4·nv
// columns wide, starting at a column j0 that is a multiple of 4: for p < k it
// sets dst[p*nr+j] = bit shift+j of the mask bits of row p ? src[off[p]+j] : 0,
// the bits being the byte (wide = 0) or little-endian half-word (wide = 1) at
// masks + 2·msk[p], shift = j0 mod 8. It loads the whole row and clears the
// masked lanes with CMTST against the lane's bit and AND.
type gather struct {
	name string
	nv   int
}

func (g gather) emit(w *writer) {
	nv := g.nv
	w.f("// func %s(k int, dst *float32, src *float32, off *int32, msk *int32, masks *byte, shift int, wide int)", g.name)
	w.f("TEXT ·%s(SB), NOSPLIT, $0-64", g.name)
	w.f("\tMOVD k+0(FP), R0")
	w.f("\tMOVD dst+8(FP), R1")
	w.f("\tMOVD src+16(FP), R2")
	w.f("\tMOVD off+24(FP), R3")
	w.f("\tMOVD msk+32(FP), R4")
	w.f("\tMOVD masks+40(FP), R5")
	w.f("\tMOVD shift+48(FP), R6")
	w.f("\tMOVD wide+56(FP), R7")
	w.f("\tMOVD $gatherBitsNEON<>(SB), R11")
	w.f("\tVLD1 (R11), %s // lane j of group v tests bit 4v+j", vlist(20, nv))
	w.f("\tCBZ R0, done")
	w.f("\tCBZ R7, loop")
	for _, wide := range []bool{true, false} {
		lbl, load := "loop", "MOVBU"
		if wide {
			lbl, load = "wideloop", "MOVHU"
		}
		if !wide {
			w.f("\tB done")
		}
		w.f("")
		w.f("%s:", lbl)
		w.f("\tMOVW.P 4(R3), R8")
		w.f("\tADD R8<<2, R2, R8")
		w.f("\tMOVW.P 4(R4), R9")
		w.f("\tADD R9<<1, R5, R9")
		w.f("\t%s (R9), R10", load)
		w.f("\tLSR R6, R10, R10")
		w.f("\tVDUP R10, V16.S4")
		w.f("\tVLD1 (R8), %s", vlist(0, nv))
		for v := 0; v < nv; v++ {
			w.f("\tVCMTST V%d.S4, V16.S4, V%d.S4", 20+v, 24+v)
			w.f("\tVAND V%d.B16, V%d.B16, V%d.B16", 24+v, v, v)
		}
		w.f("\tVST1.P %s, %d(R1)", vlist(0, nv), 16*nv)
		w.f("\tSUBS $1, R0, R0")
		w.f("\tBNE %s", lbl)
	}
	w.f("")
	w.f("done:")
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

// The kernels used by impl_arm64.go: 8×12 is the widest tile whose
// accumulators (24), row of B (3) and broadcasts fit the 32 V registers; the
// 8- and 4-column twins finish the last columns (n is a multiple of 16 in
// Fused: 12 + 4, 8 + 8, 12 + 12 + 8, …).
var neonKernels = []kernel{
	{name: "kernNEON8x12", nv: 3, unroll: 4},
	{name: "kernNEON8x8", nv: 2, unroll: 4},
	{name: "kernNEON8x4", nv: 1, unroll: 4},
	{name: "epiNEON8x12", nv: 3, unroll: 4, epi: true},
	{name: "epiNEON8x8", nv: 2, unroll: 4, epi: true},
	{name: "epiNEON8x4", nv: 1, unroll: 4, epi: true},
}

var neonGathers = []gather{
	{name: "gatherNEON12", nv: 3},
	{name: "gatherNEON8", nv: 2},
	{name: "gatherNEON4", nv: 1},
}

func main() {
	var w writer
	w.f("// Code generated by gen_neon.go; DO NOT EDIT.")
	w.f("")
	w.f("//go:build !noasm")
	w.f("")
	w.f("#include \"textflag.h\"")
	w.f("")
	for _, kn := range neonKernels {
		kn.emit(&w)
	}
	for l := 0; l < 12; l++ {
		w.f("DATA gatherBitsNEON<>+%d(SB)/4, $%d", 4*l, 1<<l)
	}
	w.f("GLOBL gatherBitsNEON<>(SB), RODATA|NOPTR, $48")
	w.f("")
	for _, g := range neonGathers {
		g.emit(&w)
	}
	out := strings.TrimRight(w.String(), "\n") + "\n"
	if err := os.WriteFile("kernel_neon_arm64.s", []byte(out), 0o644); err != nil {
		log.Fatal(err)
	}
}
