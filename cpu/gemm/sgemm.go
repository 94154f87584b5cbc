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

// Impl reports which micro-kernel is in use: "avx512", "avx2", or "generic".
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

// kernelFunc is the signature of the micro-kernels. For the mr×nr tile
// T = Σ_p a[p*mr+i]·b[p*ldb+j], p < k (a: a packed A micro-panel; b: k rows of
// nr floats, ldb apart) it sets c[i*ldc+j] = alpha·T[i][j] + beta·c[i*ldc+j],
// without reading c when beta == ±0.
type kernelFunc func(k int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// impl is a micro-kernel with its register and cache blocking.
type impl struct {
	name       string
	mr, nr     int // register block (micro-tile) of C
	kc, mc, nc int // cache blocks: k, rows of A and columns of B (maximums)
	kern       kernelFunc
}

var (
	impls   []*impl // available implementations, best first
	current *impl   // the one in use
)

func init() {
	impls = append(archImpls(), genericImpl)
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

func (w *Workspace) gemm(im *impl, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := im.mr, im.nr
	kc := blocks(k, im.kc, 1)
	mc := blocks(m, im.mc, mr)
	nc := blocks(n, im.nc, nr)
	// B is read in place when it is not transposed and each of its
	// micro-panels is used by a single block of A (m ≤ mc): packing would
	// cost as much as it saves.
	direct := !transB && m <= mc
	w.ap = grow(w.ap, mc*kc)
	if direct {
		w.bp = grow(w.bp, nr*kc)
	} else {
		w.bp = grow(w.bp, nc*kc)
	}
	w.tile = grow(w.tile, mr*nr)
	ap, bp, tile := w.ap, w.bp, w.tile

	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			be := beta
			if pc > 0 {
				be = 1
			}
			if direct {
				// Only a partial last micro-panel needs packing.
				if rem := ncur % nr; rem != 0 {
					packB(false, nr, rem, kcur, b, ldb, pc, jc+ncur-rem, bp)
				}
			} else {
				packB(transB, nr, ncur, kcur, b, ldb, pc, jc, bp)
			}
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				packA(transA, mr, mcur, kcur, a, lda, ic, pc, ap)
				for jr := 0; jr < ncur; jr += nr {
					nrr := min(nr, ncur-jr)
					var bptr *float32
					bstride := nr
					switch {
					case !direct:
						bptr = &bp[jr*kcur]
					case nrr == nr:
						bptr = &b[pc*ldb+jc+jr]
						bstride = ldb
					default:
						bptr = &bp[0]
					}
					for ir := 0; ir < mcur; ir += mr {
						mrr := min(mr, mcur-ir)
						apan := &ap[ir*kcur]
						if mrr == mr && nrr == nr {
							im.kern(kcur, apan, bptr, bstride, &c[(ic+ir)*ldc+jc+jr], ldc, alpha, be)
							continue
						}
						im.kern(kcur, apan, bptr, bstride, &tile[0], nr, 1, 0)
						for i := 0; i < mrr; i++ {
							crow := c[(ic+ir+i)*ldc+jc+jr:][:nrr]
							trow := tile[i*nr:][:nrr]
							if be == 0 {
								for j, t := range trow {
									crow[j] = alpha * t
								}
							} else {
								for j, t := range trow {
									crow[j] = alpha*t + be*crow[j]
								}
							}
						}
					}
				}
			}
		}
	}
}
