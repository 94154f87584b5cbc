// Copyright 2025 The landscape Authors.

//go:build ignore

// gen_kernels writes the amd64 assembly micro-kernels of package gemm.
//
// Run it with `go generate` in cpu/gemm (see impl_amd64.go; TestGeneratedKernels
// checks that the committed files are what it writes). Every kernel has the Go
// signature of kernelFunc (sgemm.go)
//
//	func name(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)
//
// and computes, for the MR×NR tile T = Σ_p a[i*rsa+p*csa]·b[p*ldb+j] (A read
// in place or as a packed micro-panel, b points to k rows of NR floats ldb
// apart: a packed B micro-panel with ldb = NR, or B itself),
//
//	c[i*ldc+j] = alpha·T[i][j] + beta·c[i*ldc+j]   (beta == ±0: c is not read),
//
// also storing the rows of B it reads at bp when bp is not nil. The epi
// kernels have the signature of epiKernelFunc (fused.go) instead.
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
	// epi: a fused-epilogue kernel (see epiKernelFunc in fused.go) instead of
	// alpha/beta: B is always a packed micro-panel, and the store optionally
	// adds C, then bias (+ residual), then applies a ReLU.
	epi bool
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

// vbytes is the width of one vector register in bytes.
func (kn kernel) vbytes() int { return kn.lanes() * 4 }

// nacc is the number of accumulator registers: one per vector of the tile.
func (kn kernel) nacc() int { return kn.mr * kn.nv }

// acc is the accumulator of vector v of tile row i.
func (kn kernel) acc(i, v int) string { return kn.reg(i*kn.nv + v) }

// bReg is the register holding vector v of the current row of B.
func (kn kernel) bReg(v int) string { return kn.reg(kn.nacc() + v) }

// aRow addresses A[i][p] for the current p: rows 0-3 hang off AX, rows 4-7 off
// R9 = AX + 4·rs, with R10 = rs and R11 = 3·rs (bytes).
func aRow(i int) string {
	base := "AX"
	if i >= 4 {
		base = "R9"
	}
	return fmt.Sprintf([...]string{"(%s)", "(%s)(R10*1)", "(%s)(R10*2)", "(%s)(R11*1)"}[i%4], base)
}

// emit writes the kernel: its header and argument loads, the prefetches and zeroed
// accumulators, the k loops, then the update of C (alpha/beta, or the fused epilogue).
func (kn kernel) emit(w *writer) {
	nreg := 16
	if kn.zmm {
		nreg = 32
	}
	if kn.mr > 8 || kn.nacc()+kn.nv+1 > nreg {
		log.Fatalf("%s: too many rows or registers", kn.name)
	}
	kn.emitHeader(w)
	kn.emitPrefetch(w)
	kn.emitLoops(w)
	if kn.epi && kn.zmm {
		kn.emitGatherLoop(w)
	}
	w.f("")
	w.f("update:")
	if kn.epi {
		kn.emitEpilogue(w)
		return
	}
	kn.emitAlphaBeta(w)
}

// emitHeader writes the signature comment, the TEXT line and the loads of the arguments
// the k loop uses (strides scaled to bytes).
func (kn kernel) emitHeader(w *writer) {
	if kn.epi {
		w.f("// func %s(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, bias *float32, res *float32, ldr int, flags int, ga *gatherArgs)", kn.name)
	} else {
		w.f("// func %s(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, bp *float32)", kn.name)
	}
	w.f("// Requires: %s", map[bool]string{true: "AVX512F", false: "AVX, AVX2, FMA3"}[kn.zmm])
	if kn.epi {
		w.f("TEXT ·%s(SB), NOSPLIT, $0-104", kn.name)
	} else {
		w.f("TEXT ·%s(SB), NOSPLIT, $0-80", kn.name)
	}
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
}

// emitPrefetch prefetches the C tile (and a fused kernel's residual tile, read at the end)
// and zeroes the accumulators.
func (kn kernel) emitPrefetch(w *writer) {
	w.f("\t// Prefetch the C tile and zero the accumulators.")
	w.f("\tMOVQ DI, R13")
	kn.emitPrefetchTile(w, "SI")
	if kn.epi {
		// And the residual tile, read at the end.
		w.f("\tMOVQ res+72(FP), R13")
		w.f("\tTESTQ R13, R13")
		w.f("\tJZ nores")
		w.f("\tMOVQ ldr+80(FP), R8")
		w.f("\tSHLQ $2, R8")
		kn.emitPrefetchTile(w, "R8")
		w.f("")
		w.f("nores:")
	}
	for i := 0; i < kn.nacc(); i++ {
		w.f("\tVXORPS %s, %s, %s", kn.reg(i), kn.reg(i), kn.reg(i))
	}
	w.f("")
}

// emitPrefetchTile prefetches the mr rows at R13, ld (a register, in bytes) apart.
func (kn kernel) emitPrefetchTile(w *writer, ld string) {
	for i := 0; i < kn.mr; i++ {
		for l := 0; l < (kn.nv*kn.vbytes()+63)/64; l++ {
			w.f("\tPREFETCHT0 %d(R13)", l*64)
		}
		if i < kn.mr-1 {
			w.f("\tADDQ %s, R13", ld)
		}
	}
}

// emitStep writes one k-step; with pack, it also stores the row of B at R13.
func (kn kernel) emitStep(w *writer, pack bool) {
	nv, vbytes := kn.nv, kn.vbytes()
	for v := 0; v < nv; v++ {
		w.f("\tVMOVUPS %d(BX), %s", v*vbytes, kn.bReg(v))
	}
	if pack {
		for v := 0; v < nv; v++ {
			w.f("\tVMOVUPS %s, %d(R13)", kn.bReg(v), v*vbytes)
		}
	}
	bc := kn.reg(kn.nacc() + nv) // broadcast register
	for i := 0; i < kn.mr; i++ {
		a := aRow(i)
		if kn.bcst {
			for v := 0; v < nv; v++ {
				w.f("\tVFMADD231PS.BCST %s, %s, %s", a, kn.bReg(v), kn.acc(i, v))
			}
		} else {
			w.f("\tVBROADCASTSS %s, %s", a, bc)
			for v := 0; v < nv; v++ {
				w.f("\tVFMADD231PS %s, %s, %s", kn.bReg(v), bc, kn.acc(i, v))
			}
		}
	}
	w.f("\tADDQ R12, AX")
	if kn.mr > 4 {
		w.f("\tADDQ R12, R9")
	}
	w.f("\tADDQ DX, BX")
	if pack {
		w.f("\tADDQ $%d, R13", kn.nv*kn.lanes()*4)
	}
}

// emitLoops writes the k loop, unrolled kn.unroll times, and its tail: for an alpha/beta
// kernel twice, plain and packing B (when bp is not nil); a fused AVX-512 kernel jumps to
// its gather loop when called with gather arguments.
func (kn kernel) emitLoops(w *writer) {
	U := kn.unroll
	w.f("\tMOVQ CX, R8")
	w.f("\tSHRQ $%d, R8", log2(U))
	w.f("\tANDQ $%d, CX", U-1)
	packs := []bool{false, true}
	if kn.epi {
		packs = packs[:1]
		if kn.zmm {
			w.f("\tMOVQ ga+96(FP), R13")
			w.f("\tTESTQ R13, R13")
			w.f("\tJNZ gather")
		}
	} else {
		w.f("\tMOVQ bp+72(FP), R13")
		w.f("\tTESTQ R13, R13")
		w.f("\tJNZ packloop0")
	}
	for _, pack := range packs {
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
			kn.emitStep(w, pack)
		}
		w.f("\tDECQ R8")
		w.f("\tJNZ %sloop", p)
		w.f("")
		w.f("%stail:", p)
		w.f("\tTESTQ CX, CX")
		w.f("\tJZ update")
		w.f("")
		w.f("%stailloop:", p)
		kn.emitStep(w, pack)
		w.f("\tDECQ CX")
		w.f("\tJNZ %stailloop", p)
		w.f("\tJMP update")
	}
}

// emitAlphaBeta writes the update C = alpha·T + beta·C, or C = alpha·T when beta is ±0
// (C not read).
func (kn kernel) emitAlphaBeta(w *writer) {
	alpha, beta := kn.reg(kn.nacc()), kn.reg(kn.nacc()+1)
	w.f("\tVBROADCASTSS alpha+64(FP), %s", alpha)
	w.f("\tMOVL beta+68(FP), R8")
	w.f("\tSHLL $1, R8 // drop the sign: beta == -0 counts as 0")
	w.f("\tJZ store")
	w.f("\tVBROADCASTSS beta+68(FP), %s", beta)
	kn.emitStore(w, func(i, v int) {
		w.f("\tVMULPS %s, %s, %s", alpha, kn.acc(i, v), kn.acc(i, v))
		w.f("\tVFMADD231PS %d(DI), %s, %s", v*kn.vbytes(), beta, kn.acc(i, v))
	})
	w.f("")
	w.f("store:")
	kn.emitStore(w, func(i, v int) {
		w.f("\tVMULPS %s, %s, %s", alpha, kn.acc(i, v), kn.acc(i, v))
	})
	w.f("")
}

// emitStore writes, for each vector of the tile, what update emits, then the store of the
// accumulator to C at DI (rows SI bytes apart), and returns.
func (kn kernel) emitStore(w *writer, update func(i, v int)) {
	for i := 0; i < kn.mr; i++ {
		for v := 0; v < kn.nv; v++ {
			update(i, v)
			w.f("\tVMOVUPS %s, %d(DI)", kn.acc(i, v), v*kn.vbytes())
		}
		if i < kn.mr-1 {
			w.f("\tADDQ SI, DI")
		}
	}
	w.f("\tVZEROUPPER")
	w.f("\tRET")
}

// emitGatherLoop writes the k loop of an AVX-512 fused-epilogue kernel called
// with gather arguments g (a gatherArgs of fused.go, in R13): row p of the
// B micro-panel is loaded from g.src + g.off[p] under the 16-bit masks at
// g.masks + 2·g.msk[p], used, and stored to b (ldb = nr) for the next calls.
func (kn kernel) emitGatherLoop(w *writer) {
	mr, nv, nacc, vbytes := kn.mr, kn.nv, kn.nacc(), kn.vbytes()
	bReg, acc := kn.bReg, kn.acc
	bc := kn.reg(nacc + nv)
	w.f("")
	w.f("gather:")
	w.f("\tMOVQ k+0(FP), CX")
	w.f("\tMOVQ 0(R13), BX  // src")
	w.f("\tMOVQ 8(R13), DX  // off")
	w.f("\tMOVQ 16(R13), SI // msk")
	w.f("\tMOVQ 24(R13), DI // masks")
	w.f("\tMOVQ b+32(FP), R13")
	w.f("")
	w.f("gatherloop:")
	w.f("\tMOVLQSX (DX), R8")
	w.f("\tMOVLQSX (SI), R14")
	for v := 0; v < nv; v++ {
		w.f("\tKMOVW %d(DI)(R14*2), K%d", 2*v, v+1)
		w.f("\tVMOVUPS.Z %d(BX)(R8*4), K%d, %s", v*vbytes, v+1, bReg(v))
	}
	for v := 0; v < nv; v++ {
		w.f("\tVMOVUPS %s, %d(R13)", bReg(v), v*vbytes)
	}
	for i := 0; i < mr; i++ {
		w.f("\tVBROADCASTSS %s, %s", aRow(i), bc)
		for v := 0; v < nv; v++ {
			w.f("\tVFMADD231PS %s, %s, %s", bReg(v), bc, acc(i, v))
		}
	}
	w.f("\tADDQ R12, AX")
	if mr > 4 {
		w.f("\tADDQ R12, R9")
	}
	w.f("\tADDQ $4, DX")
	w.f("\tADDQ $4, SI")
	w.f("\tADDQ $%d, R13", nv*vbytes)
	w.f("\tDECQ CX")
	w.f("\tJNZ gatherloop")
	w.f("\tMOVQ c+48(FP), DI")
	w.f("\tMOVQ ldc+56(FP), SI")
	w.f("\tSHLQ $2, SI")
	w.f("\tJMP update")
}

// emitEpilogue writes the store of a fused-epilogue kernel: flags bit 0 adds
// the tile of C, bit 1 adds bias[i] + res[i*ldr+j] (or bias[i] alone when res
// is nil), bit 2 applies max(x, 0) keeping NaN; then the tile is stored.
func (kn kernel) emitEpilogue(w *writer) {
	mr, nv, nacc, vbytes := kn.mr, kn.nv, kn.nacc(), kn.vbytes()
	acc := kn.acc
	t0, t1 := kn.reg(nacc), kn.reg(nacc+1)
	w.f("\tMOVQ flags+88(FP), R8")
	w.f("\tTESTQ $1, R8")
	w.f("\tJZ noacc")
	w.f("\tMOVQ DI, R13")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			w.f("\tVADDPS %d(R13), %s, %s", v*vbytes, acc(i, v), acc(i, v))
		}
		if i < mr-1 {
			w.f("\tADDQ SI, R13")
		}
	}
	w.f("")
	w.f("noacc:")
	w.f("\tTESTQ $2, R8")
	w.f("\tJZ nobias")
	w.f("\tMOVQ bias+64(FP), AX")
	w.f("\tMOVQ res+72(FP), BX")
	w.f("\tTESTQ BX, BX")
	w.f("\tJZ biasonly")
	w.f("\tMOVQ ldr+80(FP), DX")
	w.f("\tSHLQ $2, DX")
	for i := 0; i < mr; i++ {
		w.f("\tVBROADCASTSS %d(AX), %s", 4*i, t0)
		for v := 0; v < nv; v++ {
			// acc + (bias + res), the order of the reference epilogue.
			w.f("\tVADDPS %d(BX), %s, %s", v*vbytes, t0, t1)
			w.f("\tVADDPS %s, %s, %s", t1, acc(i, v), acc(i, v))
		}
		if i < mr-1 {
			w.f("\tADDQ DX, BX")
		}
	}
	w.f("\tJMP nobias")
	w.f("")
	w.f("biasonly:")
	for i := 0; i < mr; i++ {
		w.f("\tVBROADCASTSS %d(AX), %s", 4*i, t0)
		for v := 0; v < nv; v++ {
			w.f("\tVADDPS %s, %s, %s", t0, acc(i, v), acc(i, v))
		}
	}
	w.f("")
	w.f("nobias:")
	w.f("\tTESTQ $4, R8")
	w.f("\tJZ store")
	w.f("\tVXORPS %s, %s, %s", t0, t0, t0)
	for i := 0; i < nacc; i++ {
		// max(0, x) that returns x when x is NaN (the first operand on NaN).
		w.f("\tVMAXPS %s, %s, %s", kn.reg(i), t0, kn.reg(i))
	}
	w.f("")
	w.f("store:")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
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

// gather is a packer of gathered B panels (see gatherFunc in fused.go): for
// p < k it sets dst[p*nr+j] = mask bit j of row p ? src[off[p]+j] : 0, where
// the bits of row p are the bytes at masks + 2·msk[p] (8 lanes a byte).
type gather struct {
	name string
	nv   int // vectors per row
	zmm  bool
}

func (g gather) emit(w *writer) {
	lanes, reg := 8, "Y"
	if g.zmm {
		lanes, reg = 16, "Z"
	}
	vbytes := lanes * 4
	w.f("// func %s(k int, dst *float32, src *float32, off *int32, msk *int32, masks *byte)", g.name)
	w.f("// Requires: %s", map[bool]string{true: "AVX512F", false: "AVX, AVX2"}[g.zmm])
	w.f("TEXT ·%s(SB), NOSPLIT, $0-48", g.name)
	w.f("\tMOVQ k+0(FP), CX")
	w.f("\tMOVQ dst+8(FP), DI")
	w.f("\tMOVQ src+16(FP), SI")
	w.f("\tMOVQ off+24(FP), R8")
	w.f("\tMOVQ msk+32(FP), R9")
	w.f("\tMOVQ masks+40(FP), R10")
	if !g.zmm {
		// Y15 = {1, 2, 4, …, 128}: lane i tests bit i of a mask byte.
		w.f("\tVMOVDQU gatherBits<>(SB), Y15")
	}
	w.f("\tTESTQ CX, CX")
	w.f("\tJZ done")
	w.f("")
	w.f("loop:")
	w.f("\tMOVLQSX (R8), AX")
	w.f("\tLEAQ (SI)(AX*4), AX")
	w.f("\tMOVLQSX (R9), BX")
	w.f("\tLEAQ (R10)(BX*2), BX")
	for v := 0; v < g.nv; v++ {
		if g.zmm {
			w.f("\tKMOVW %d(BX), K%d", 2*v, v+1)
			w.f("\tVMOVUPS.Z %d(AX), K%d, Z%d", v*vbytes, v+1, v)
		} else {
			w.f("\tVPBROADCASTB %d(BX), Y%d", v, 8+v)
			w.f("\tVPAND Y15, Y%d, Y%d", 8+v, 8+v)
			w.f("\tVPCMPEQD Y15, Y%d, Y%d", 8+v, 8+v)
			w.f("\tVMASKMOVPS %d(AX), Y%d, Y%d", v*vbytes, 8+v, v)
		}
	}
	for v := 0; v < g.nv; v++ {
		w.f("\tVMOVUPS %s%d, %d(DI)", reg, v, v*vbytes)
	}
	w.f("\tADDQ $4, R8")
	w.f("\tADDQ $4, R9")
	w.f("\tADDQ $%d, DI", g.nv*vbytes)
	w.f("\tDECQ CX")
	w.f("\tJNZ loop")
	w.f("")
	w.f("done:")
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
		gathers []gather
	}{
		{"kernel_avx512_amd64.s", avx512Kernels, avx512Gathers},
		{"kernel_avx2_amd64.s", avx2Kernels, avx2Gathers},
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
		for i, g := range f.gathers {
			if i == 0 && !g.zmm {
				for l := 0; l < 8; l++ {
					w.f("DATA gatherBits<>+%d(SB)/4, $%d", 4*l, 1<<l)
				}
				w.f("GLOBL gatherBits<>(SB), RODATA|NOPTR, $32")
				w.f("")
			}
			g.emit(&w)
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
	{name: "epiAVX512x8x48", mr: 8, nv: 3, zmm: true, unroll: 4, epi: true},
	{name: "epiAVX512x8x32", mr: 8, nv: 2, zmm: true, unroll: 4, epi: true},
	{name: "epiAVX512x8x16", mr: 8, nv: 1, zmm: true, unroll: 4, epi: true},
}

// The AVX-512 epi kernels gather their panels themselves (emitGatherLoop).
var avx512Gathers []gather

var avx2Kernels = []kernel{
	{name: "kernAVX2x4x24", mr: 4, nv: 3, unroll: 4},
	{name: "kernAVX2x4x16", mr: 4, nv: 2, unroll: 4},
	{name: "kernAVX2x4x8", mr: 4, nv: 1, unroll: 4},
	{name: "epiAVX2x4x24", mr: 4, nv: 3, unroll: 4, epi: true},
	{name: "epiAVX2x4x16", mr: 4, nv: 2, unroll: 4, epi: true},
	{name: "epiAVX2x4x8", mr: 4, nv: 1, unroll: 4, epi: true},
}

var avx2Gathers = []gather{
	{name: "gatherAVX2x24", nv: 3},
	{name: "gatherAVX2x16", nv: 2},
	{name: "gatherAVX2x8", nv: 1},
}
