package gemm

import (
	"fmt"
	"sync"
	"unsafe"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(X) is X or Xᵀ.
// op(A) is m×k, op(B) is k×n, C is m×n; lda, ldb, ldc are row strides (elements).
// beta == 0 means C is overwritten without being read (NaNs in C do not propagate).
//
// Sgemm runs on the calling goroutine and takes its packing buffers from an
// internal sync.Pool, so that steady-state calls do not allocate. Callers
// that want explicit control over the buffers can use a Workspace instead.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	w := pool.Get().(*Workspace)
	w.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	pool.Put(w)
}

// Impl reports which micro-kernel is in use: "avx512", "avx2", "neon" or "portable".
func Impl() string { return current.name }

var pool = sync.Pool{New: func() any { return new(Workspace) }}

// A Workspace holds the packing buffers of Sgemm. Its zero value is ready to
// use; buffers grow on demand and are reused by later calls, so a goroutine
// that keeps its own Workspace makes no allocations in steady state.
// A Workspace must not be used by several goroutines at once.
type Workspace struct {
	ap   []float32 // packed block of A: MC×KC, as MR-row micro-panels
	bp   []float32 // packed block of B: KC×NC, as NR-column micro-panels
	tile []float32 // MR×NR scratch tile for the edges of C
	ga   gatherArgs
	// FusedBF16 on AMX (amx_amd64.go): packed bf16 tiles of a panel of B (or all panels), and the
	// float32 blocks of C before the epilogue.
	amxB  []uint16
	amxBs []uint16 // fusedStationary's B: every panel
	amxC  []float32
	bw    BF16Weights // FusedBF16's A
	unp   Gathered    // FusedBF16Paired's B as float32 rows, for the float32 kernels
	pairC []float32   // FusedBF16ToPairs' C when the caller wants only the pairs
	// FusedBF16Tiled: the chunks' byte offsets (AMX); elsewhere the whole product, zero bias
	// and B as a Paired matrix.
	tboff  []int
	tiledC []float32
	zeros  []float32
	tiledP Paired

	// After, when not nil, is called by Fused, FusedBF16W and FusedBF16Paired as blocks of C
	// become final (every sum, bias, residual, ReLU and rounding stored): rows r0..r0+rows-1,
	// columns j0..j0+n-1, each element of C exactly once, while the block is still in cache.
	// A caller uses it to apply an activation (or round) in the same sweep over C instead of
	// a pass of its own afterwards. FusedBF16ToPairs, whose pairs are stored before After
	// could change C, refuses a Workspace with After set.
	After func(r0, rows, j0, n int)
	// Before, when not nil, is called by Fused (and FusedBF16W where it runs on the float32
	// kernels) before it first reads a block of B: rows p0..p0+rows-1, columns j0..j0+n-1,
	// each element of B in exactly one call, while the block will be read from cache. The
	// caller may rewrite the Data those elements are gathered from (each element of B its own)
	// to apply a factor to the product's input in the same sweep. The bfloat16 tile kernels
	// refuse a Workspace with Before set.
	Before func(p0, rows, j0, n int)
}

// Sgemm is like the package-level Sgemm but uses w's buffers.
func (w *Workspace) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	w.gemm(current, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 {
		panic(fmt.Sprintf("gemm: m = %d < 0", m))
	}
	if n < 0 {
		panic(fmt.Sprintf("gemm: n = %d < 0", n))
	}
	if k < 0 {
		panic(fmt.Sprintf("gemm: k = %d < 0", k))
	}
	// Dimensions (rows×cols) of A and B as stored.
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(1, ac) {
		panic(fmt.Sprintf("gemm: lda = %d < max(1, %d) (row length of A)", lda, ac))
	}
	if ldb < max(1, bc) {
		panic(fmt.Sprintf("gemm: ldb = %d < max(1, %d) (row length of B)", ldb, bc))
	}
	if ldc < max(1, n) {
		panic(fmt.Sprintf("gemm: ldc = %d < max(1, n = %d)", ldc, n))
	}
	if m == 0 || n == 0 {
		return
	}
	if need := matLen(ar, ac, lda); len(a) < need {
		panic(fmt.Sprintf("gemm: len(a) = %d < %d needed for a %d×%d matrix with stride %d", len(a), need, ar, ac, lda))
	}
	if need := matLen(br, bc, ldb); len(b) < need {
		panic(fmt.Sprintf("gemm: len(b) = %d < %d needed for a %d×%d matrix with stride %d", len(b), need, br, bc, ldb))
	}
	if need := matLen(m, n, ldc); len(c) < need {
		panic(fmt.Sprintf("gemm: len(c) = %d < %d needed for a %d×%d matrix with stride %d", len(c), need, m, n, ldc))
	}
}

// matLen is the number of elements a rows×cols matrix with row stride ld spans.
func matLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// scaleC sets C = beta·C (C = 0 if beta == 0).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// kernelFunc is the signature of the micro-kernels. For an mr×nr tile
// (mr, nr fixed by the kernel) it computes
//
//	T[i][j] = Σ_{p<k} a[i*rsa+p*csa]·b[p*ldb+j]
//	c[i*ldc+j] = alpha·T[i][j] + beta·c[i*ldc+j]
//
// and does not read c when beta == ±0. A is thus read in place (rsa = lda,
// csa = 1 or rsa = 1, csa = lda) or from a packed micro-panel (rsa = 1,
// csa = mr); B is a packed micro-panel (ldb = nr) or B itself. If bp is not
// nil, the kernel also packs the k×nr block of B it reads into bp[p*nr+j],
// for the next tiles of the same column panel.
type kernelFunc func(k int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, bp *float32)

// panelKernel is a micro-kernel for tiles nr columns wide.
type panelKernel struct {
	nr   int
	kern kernelFunc
}

// impl is a set of micro-kernels with their register and cache blocking.
type impl struct {
	name    string
	mr      int           // rows of every micro-tile
	kernels []panelKernel // by decreasing nr; kernels[0] is the main one
	kc, mc  int           // maximum cache blocks of k and of rows of A
	nc      int           // maximum cache block of columns of B
	// For Fused: epilogue kernels of the same widths as kernels, and the
	// packer of gathered panels.
	epis        []epiKernelFunc
	gather      gatherFunc
	fusedGather bool // the epis gather their micro-panel when given gatherArgs
}

// panel returns the index in im.kernels of the kernel for the next micro-panel
// of a block of B that has rem columns left.
func (im *impl) panel(rem int) int {
	ks := im.kernels
	if rem >= ks[0].nr {
		// Two half-width panels rather than a full and a narrow one (for
		// n = 64: 32+32, not 48+16; measured the same, within noise).
		if len(ks) > 2 && rem == ks[0].nr+ks[len(ks)-1].nr && 2*ks[1].nr == rem {
			return 1
		}
		return 0
	}
	// The narrowest kernel that covers rem.
	for i := len(ks) - 1; i >= 0; i-- {
		if ks[i].nr >= rem {
			return i
		}
	}
	return 0
}

var (
	impls   []*impl // available implementations, best first
	current *impl   // the one in use
)

func init() {
	impls = append(archImpls(), portableImpl)
	current = impls[0]
}

// setImpl selects the implementation called name and reports whether it is
// available. It is meant for tests and benchmarks and must not be called
// concurrently with Sgemm.
func setImpl(name string) bool {
	for _, im := range impls {
		if im.name == name {
			current = im
			return true
		}
	}
	return false
}

// KernelName names the micro-kernel family Sgemm and Fused use in this process: "avx512",
// "avx2", "neon" (arm64) or "portable" (the pure-Go twin).
func KernelName() string { return current.name }

// implNames lists the available implementations, best first.
func implNames() []string {
	var names []string
	for _, im := range impls {
		names = append(names, im.name)
	}
	return names
}

// blocks splits total into the fewest pieces of at most maxBlock, as even as
// possible, rounded up to a multiple of unit; it returns the piece size.
func blocks(total, maxBlock, unit int) int {
	nb := (total + maxBlock - 1) / maxBlock
	sz := (total + nb - 1) / nb
	return (sz + unit - 1) / unit * unit
}

// grow returns buf if it holds n floats, else a new 64-byte aligned slice.
func grow(buf []float32, n int) []float32 {
	if len(buf) >= n {
		return buf
	}
	s := make([]float32, n+16)
	off := 0
	if r := uintptr(unsafe.Pointer(&s[0])) % 64; r != 0 {
		off = int(64-r) / 4
	}
	return s[off : off+n : off+n]
}

// gemm is the blocked product, for alpha ≠ 0, k > 0 and non-empty C.
//
// Loops, outermost first (BLIS naming): jc over blocks of nc columns of B
// and C; pc over blocks of kc of the inner dimension; ic over blocks of mc
// rows of A and C; jr over micro-panels of B (nr columns, nr chosen per
// panel by impl.panel); ir over micro-panels of A (mr rows), each a call of
// the micro-kernel for one tile of C.
//
// A is never packed, except the last micro-panel when mr does not divide m:
// the kernels read it in place through (rsa, csa) strides. B, when not
// transposed, is read in place by the first kernel call of each micro-panel,
// which also packs it into w.bp for the other row panels of A (B's rows are
// often a multiple of 4 KiB apart, which would make a tall micro-panel read
// in place thrash the caches). A transposed B is packed for the whole kc×nc
// block up front, with 8×8 transposes.
func (w *Workspace) gemm(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr := im.mr
	kc, mc, nc := w.reserve(im, transB, m, n, k)
	ap, bp, tile := w.ap, w.bp, w.tile

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			be := beta
			if pc > 0 {
				be = 1 // later k-blocks accumulate onto the first
			}
			if transB {
				packBBlock(im, ncur, kcur, b, ldb, pc, jc, bp)
			}
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				if r := mcur % mr; r != 0 {
					// The last row panel is partial: pack it, zero-padded.
					packAPanel(transA, mr, r, kcur, a, lda, ic+mcur-r, pc, ap)
				}
				for jr := 0; jr < ncur; {
					pk := im.kernels[im.panel(ncur-jr)]
					nr := pk.nr
					nrr := min(nr, ncur-jr)
					var bptr, bfuse *float32
					bstride := nr
					switch {
					case transB:
						bptr = &bp[jr*kcur]
					case nrr == nr:
						bptr = &b[pc*ldb+jc+jr]
						bstride = ldb
						if mcur > mr {
							bfuse = &bp[0]
						}
					default:
						// A partial micro-panel: pack it, zero-padded.
						packBPanel(false, nr, nrr, kcur, b, ldb, pc, jc+jr, bp)
						bptr = &bp[0]
					}
					for ir := 0; ir < mcur; ir += mr {
						mrr := min(mr, mcur-ir)
						var aptr *float32
						rsa, csa := 1, mr
						switch {
						case mrr < mr:
							aptr = &ap[0]
						case transA:
							aptr = &a[pc*lda+ic+ir]
							rsa, csa = 1, lda
						default:
							aptr = &a[(ic+ir)*lda+pc]
							rsa, csa = lda, 1
						}
						if mrr == mr && nrr == nr {
							pk.kern(kcur, aptr, rsa, csa, bptr, bstride, &c[(ic+ir)*ldc+jc+jr], ldc, alpha, be, bfuse)
							if bfuse != nil {
								// The rest of the row panels read the packed copy.
								bptr, bstride, bfuse = bfuse, nr, nil
							}
							continue
						}
						// An edge tile: compute it into tile, then update the
						// part of C that exists.
						pk.kern(kcur, aptr, rsa, csa, bptr, bstride, &tile[0], nr, 1, 0, nil)
						storeEdgeTile(c[(ic+ir)*ldc+jc+jr:], ldc, tile, nr, mrr, nrr, alpha, be)
					}
					jr += nrr
				}
			}
		}
	}
}

// reserve sizes gemm's blocks for an m×n×k product with impl im, kc, mc and nc (blocks: as
// even as possible, mc a multiple of im.mr, nc of the widest panel), and grows the packing
// buffers to hold them: w.ap one mr×kc micro-panel of A, w.bp the whole kc×nc block of a
// transposed B (plus one panel) or one micro-panel of B, w.tile one mr×nr tile of C.
func (w *Workspace) reserve(im *impl, transB bool, m, n, k int) (kc, mc, nc int) {
	mr := im.mr
	nrMax := im.kernels[0].nr
	kc = blocks(k, im.kc, 1)
	mc = blocks(m, im.mc, mr)
	nc = blocks(n, im.nc, nrMax)
	w.ap = grow(w.ap, mr*kc)
	if transB {
		w.bp = grow(w.bp, (nc+nrMax)*kc)
	} else {
		w.bp = grow(w.bp, nrMax*kc)
	}
	w.tile = grow(w.tile, mr*nrMax)
	return kc, mc, nc
}

// packBBlock packs the kcur×ncur block of a transposed B at row pc, column jc (of op(B))
// into bp, micro-panel after micro-panel, each as wide as im.panel chooses for the columns
// left and zero-padded to it; the panel at column jr starts at bp[jr·kcur].
func packBBlock(im *impl, ncur, kcur int, b []float32, ldb, pc, jc int, bp []float32) {
	for jr := 0; jr < ncur; {
		nr := im.kernels[im.panel(ncur-jr)].nr
		nrr := min(nr, ncur-jr)
		packBPanel(true, nr, nrr, kcur, b, ldb, pc, jc+jr, bp[jr*kcur:])
		jr += nrr
	}
}

// storeEdgeTile updates the mrr×nrr part of an edge tile that exists in C (c at its first
// element, rows ldc apart) from the tile computed with alpha 1 and beta 0 (rows nr apart):
// C = alpha·tile + beta·C, C not read where beta is 0.
func storeEdgeTile(c []float32, ldc int, tile []float32, nr, mrr, nrr int, alpha, beta float32) {
	for i := 0; i < mrr; i++ {
		crow := c[i*ldc:][:nrr]
		trow := tile[i*nr:][:nrr]
		if beta == 0 {
			for j, t := range trow {
				crow[j] = alpha * t
			}
		} else {
			for j, t := range trow {
				crow[j] = alpha*t + beta*crow[j]
			}
		}
	}
}

// Impls lists the implementations available on this machine and build, best
// first (the first is the one in use unless SetImpl changed it).
func Impls() []string { return implNames() }

// SetImpl selects the implementation called name, one of Impls(), for every
// later Sgemm and Fused, and reports whether it exists. It is meant for tests
// and benchmarks (to run the same checks on every implementation) and must
// not be called while any Sgemm or Fused runs.
func SetImpl(name string) bool { return setImpl(name) }
