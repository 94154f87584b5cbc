package gemm

import (
	"fmt"
	"unsafe"
)

// Gathered is a k×n matrix B that is not stored but gathered from Data, as in
// an implicit-GEMM convolution:
//
//	B[p][j] = Data[Off[p]+j]  if bit j%16 of Masks[Mask[p]+j/16] is set,
//	          0               otherwise.
//
// Row p is thus a window of Data starting at Off[p], with a 16-lane bit mask
// per group of 16 columns; rows may share masks. Fused reads every element of
// the windows Data[Off[p] : Off[p]+n], masked or not, so they must lie inside
// Data; it never writes Data.
type Gathered struct {
	Data  []float32
	Off   []int32 // per row: start of its window in Data
	Mask  []int32 // per row: index in Masks of its first mask word
	Masks []uint16
}

// Fused flags: bits of the flags argument of the fused-epilogue kernels.
const (
	fusedAcc  = 1 // add the tile of C
	fusedBias = 2 // add bias[i] (+ res[i][j] when res is not nil)
	fusedReLU = 4 // max(x, 0), NaN kept
)

// epiKernelFunc is the signature of the fused-epilogue micro-kernels: for an
// mr×nr tile with T[i][j] = Σ_{p<k} a[i*rsa+p*csa]·b[p*ldb+j] (b a packed
// micro-panel, ldb = nr) it sets
//
//	x = T[i][j]
//	x += c[i*ldc+j]                  if flags&fusedAcc
//	x += bias[i] + res[i*ldr+j]      if flags&fusedBias (bias[i] alone when res is nil)
//	x = max(x, 0)                    if flags&fusedReLU (NaN stays NaN)
//	c[i*ldc+j] = x
//
// and does not read c without fusedAcc nor bias and res without fusedBias.
//
// If g is not nil (only for implementations with fusedGather), the kernel
// first gathers the micro-panel it reads from g, as gatherFunc does, and
// stores it at b for the calls of the other row panels.
type epiKernelFunc func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, bias *float32, res *float32, ldr int, flags int, g *gatherArgs)

// gatherArgs locates rows p0.. and columns j0.. of a Gathered matrix for a
// kernel: row p is read at src + off[p] (src = &Data[j0]) under the masks at
// masks + 2·msk[p] (masks = &Masks[0] + j0/8 bytes).
type gatherArgs struct {
	src   *float32
	off   *int32
	msk   *int32
	masks *byte
}

// gatherFunc packs rows p0..p0+kc-1, columns j0..j0+nr-1 of a Gathered
// matrix into dst[p*nr+j].
type gatherFunc func(nr, kc int, dst []float32, b *Gathered, p0, j0 int)

// FusedMR and FusedNR are the multiples of rows and columns Fused requires.
const (
	FusedMR = 8
	FusedNR = 16
)

// Fused computes, for an m×k matrix A (row-major, row stride lda) and a
// gathered k×n matrix B,
//
//	C[i][j] = ReLU?( (A·B)[i][j] + (bias[i] + res[i][j]) )
//
// with res optional (nil) and ReLU applied when relu is set (max(x, 0), NaN
// kept). m must be a multiple of FusedMR and n of FusedNR, k ≥ 1; C and res
// are row-major with strides ldc and ldr. Nothing of C outside its m×n window
// is written, and C is not read. It is the convolution step of the CPU
// engine: A the folded weights, B the receptive fields (see Gathered), bias
// the folded batch norm, res the residual branch.
//
// Sums are accumulated as in Sgemm: in float32, k order within blocks of up
// to the implementation's kc, blocks added through C; the bias and residual
// are added last, bias + res first.
func (w *Workspace) Fused(m, n, k int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, relu bool) {
	checkFused(m, n, k, a, lda, b, c, ldc, bias, res, ldr)
	w.fused(m, n, k, a, lda, b, c, ldc, bias, res, ldr, relu, false)
}

// fused is Fused, rounding C to bfloat16 as it goes (before After sees it) where round is set.
func (w *Workspace) fused(m, n, k int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, relu, round bool) {
	if m == 0 || n == 0 {
		return
	}
	im := current
	kc := blocks(k, im.kc, 1)
	w.bp = grow(w.bp, im.kernels[0].nr*kc)
	for pc := 0; pc < k; pc += kc {
		kcur := min(kc, k-pc)
		fl := 0
		if pc > 0 {
			fl |= fusedAcc
		}
		last := pc+kcur == k
		if last {
			fl |= fusedBias
			if relu {
				fl |= fusedReLU
			}
		}
		// Row blocks of mc: the mc×kc block of A stays in L2 across the column panels (a
		// Linear layer of ViT-B/16 has m = 3072: its 3 MiB block would come from memory
		// again for each 48-column panel). The first block hands B to w.Before; each block
		// hands its finished rows to w.After.
		for ic := 0; ic < m; ic += im.mc {
			ie := min(ic+im.mc, m)
			fb := fusedBlock{im: im, ic: ic, ie: ie, pc: pc, kcur: kcur, last: last, fl: fl, before: ic == 0,
				after: afterBlocks{f: w.After, r0: ic, rows: ie - ic, round: round, c: c, ldc: ldc}}
			w.fusedBlock(&fb, n, a, lda, b, c, ldc, bias, res, ldr)
		}
	}
}

// fusedBlock is one row block of a fused product: rows ic..ie-1 (mr divides ie − ic), every
// column panel, the k block pc..pc+kcur-1 with flags fl (last: the block the bias and
// residual join; then after gets the finished columns), B handed to Workspace.Before first
// where before is set.
type fusedBlock struct {
	im               *impl
	ic, ie, pc, kcur int
	last, before     bool
	fl               int
	after            afterBlocks
}

// fusedBlock runs Fused's micro-kernels on one row block (fb) of every column panel.
func (w *Workspace) fusedBlock(fb *fusedBlock, n int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int) {
	im, bp, mr, pc, kcur := fb.im, w.bp, fb.im.mr, fb.pc, fb.kcur
	next := 0 // the first column not yet handed to w.Before
	for jr := 0; jr < n; {
		if fb.before && w.Before != nil && jr >= next {
			for next = jr; next < n && next-jr < afterCols; {
				next += im.kernels[im.panel(n-next)].nr
			}
			w.Before(pc, kcur, jr, next-jr)
		}
		pi := im.panel(n - jr)
		nr := im.kernels[pi].nr
		kern := im.epis[pi]
		var ga *gatherArgs
		if im.fusedGather {
			// Bounds: checkFused verified every window and mask row.
			w.ga = gatherArgs{
				src:   (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Data)), 4*jr)),
				off:   &b.Off[pc],
				msk:   &b.Mask[pc],
				masks: (*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Masks)), jr/8)),
			}
			ga = &w.ga
		} else {
			im.gather(nr, kcur, bp, b, pc, jr)
		}
		for ir := fb.ic; ir < fb.ie; ir += mr {
			var rp *float32
			if res != nil && fb.last {
				rp = &res[ir*ldr+jr]
			}
			kern(kcur, &a[ir*lda+pc], lda, 1, &bp[0], nr, &c[ir*ldc+jr], ldc, &bias[ir], rp, ldr, fb.fl, ga)
			ga = nil
		}
		jr += nr
		if fb.last {
			fb.after.panel(jr, jr == n)
		}
	}
}

func checkFused(m, n, k int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int) {
	checkFusedC(m, n, k, a, lda, b, c, ldc, bias, res, ldr, true)
}

// checkFusedC is checkFused, without C's checks unless withC.
func checkFusedC(m, n, k int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, withC bool) {
	switch {
	case m < 0 || m%FusedMR != 0:
		panic(fmt.Sprintf("gemm: Fused: m = %d is not a non-negative multiple of %d", m, FusedMR))
	case n < 0 || n%FusedNR != 0:
		panic(fmt.Sprintf("gemm: Fused: n = %d is not a non-negative multiple of %d", n, FusedNR))
	case k < 1:
		panic(fmt.Sprintf("gemm: Fused: k = %d < 1", k))
	case lda < k:
		panic(fmt.Sprintf("gemm: Fused: lda = %d < k = %d", lda, k))
	case withC && ldc < max(1, n):
		panic(fmt.Sprintf("gemm: Fused: ldc = %d < n = %d", ldc, n))
	case res != nil && ldr < max(1, n):
		panic(fmt.Sprintf("gemm: Fused: ldr = %d < n = %d", ldr, n))
	}
	if m == 0 || n == 0 {
		return
	}
	if need := matLen(m, k, lda); len(a) < need {
		panic(fmt.Sprintf("gemm: Fused: len(a) = %d < %d", len(a), need))
	}
	if need := matLen(m, n, ldc); withC && len(c) < need {
		panic(fmt.Sprintf("gemm: Fused: len(c) = %d < %d", len(c), need))
	}
	if len(bias) < m {
		panic(fmt.Sprintf("gemm: Fused: len(bias) = %d < m = %d", len(bias), m))
	}
	if need := matLen(m, n, ldr); res != nil && len(res) < need {
		panic(fmt.Sprintf("gemm: Fused: len(res) = %d < %d", len(res), need))
	}
	if b == nil {
		return // B checked by the caller
	}
	if len(b.Off) < k || len(b.Mask) < k {
		panic(fmt.Sprintf("gemm: Fused: %d offsets and %d masks for k = %d rows", len(b.Off), len(b.Mask), k))
	}
	nd, nm := len(b.Data)-n, len(b.Masks)-n/16
	for p, o := range b.Off[:k] {
		if o < 0 || int(o) > nd {
			panic(fmt.Sprintf("gemm: Fused: row %d's window Data[%d:%d] is outside len(Data) = %d", p, o, int(o)+n, len(b.Data)))
		}
		if mk := b.Mask[p]; mk < 0 || int(mk) > nm {
			panic(fmt.Sprintf("gemm: Fused: row %d's masks Masks[%d:%d] are outside len(Masks) = %d", p, mk, int(mk)+n/16, len(b.Masks)))
		}
	}
}

// gatherGo is the portable gatherFunc.
func gatherGo(nr, kc int, dst []float32, b *Gathered, p0, j0 int) {
	for p := 0; p < kc; p++ {
		off := int(b.Off[p0+p])
		mk := b.Masks[b.Mask[p0+p]:]
		d := dst[p*nr : p*nr+nr]
		for j := range d {
			q := j0 + j
			if mk[q>>4]>>(q&15)&1 != 0 {
				d[j] = b.Data[off+q]
			} else {
				d[j] = 0
			}
		}
	}
}

// gatherAsm returns a gatherFunc calling fns[i], an assembly packer of
// widths[i] columns.
func gatherAsm(widths []int, fns []func(k int, dst, src *float32, off, msk *int32, masks *byte)) gatherFunc {
	return func(nr, kc int, dst []float32, b *Gathered, p0, j0 int) {
		for i, w := range widths {
			if w == nr {
				// Bounds: checkFused verified every window and mask row; dst
				// holds kc·nr floats.
				_ = dst[kc*nr-1]
				src := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Data)), 4*j0)
				masks := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Masks)), j0/8)
				fns[i](kc, &dst[0], (*float32)(src), &b.Off[p0], &b.Mask[p0], (*byte)(masks))
				return
			}
		}
		panic("gemm: no gather packer for this width")
	}
}

// epilogueGo applies the bias, residual and ReLU steps of epiKernelFunc to
// an mr×nr tile already holding T (+ C).
func epilogueGo(mr, nr int, cp *float32, ldc int, biasp *float32, resp *float32, ldr int, flags int) {
	if flags&(fusedBias|fusedReLU) == 0 {
		return
	}
	c := unsafe.Slice(cp, (mr-1)*ldc+nr)
	var bias, res []float32
	if flags&fusedBias != 0 {
		bias = unsafe.Slice(biasp, mr)
		if resp != nil {
			res = unsafe.Slice(resp, (mr-1)*ldr+nr)
		}
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		if bias != nil {
			bi := bias[i]
			if res != nil {
				r := res[i*ldr : i*ldr+nr]
				for j := range row {
					row[j] += bi + r[j]
				}
			} else {
				for j := range row {
					row[j] += bi
				}
			}
		}
		if flags&fusedReLU != 0 {
			for j, v := range row {
				if v < 0 {
					row[j] = 0
				}
			}
		}
	}
}
