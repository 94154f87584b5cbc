package gemm

import (
	"fmt"
	"math"
	"unsafe"
)

// # Channel pairs
//
// The AMX and AVX512-BF16 kernels read B as pairs of its rows: dword j of a packed row holds
// B[2t][j] in its lower half and B[2t+1][j] in its upper half (the "VNNI" layout of
// TDPBF16PS). Gathering a Gathered matrix into that layout reads two float32 rows and merges
// them, for every one of the K·K shifted copies of each activation a convolution reads. A
// Paired matrix is gathered from an activation already stored as such pairs (PackPairs, one
// pass per layer): each pair of rows is then one masked copy.

// Paired is a k×n matrix B (k even) of bfloat16 numbers gathered from pairs:
//
//	B[2t+h][j] = half h of Data[Off[t]+j]  if bit j%16 of Masks[Mask[t]+j/16] is set,
//	             0                         otherwise,
//
// half 0 the lower 16 bits of the word and half 1 the upper, each a bfloat16 number (the upper
// half of a float32). Row pair t is a window of Data starting at Off[t] with a 16-lane mask per
// group of 16 columns, as for Gathered; every window Data[Off[t] : Off[t]+n] must lie inside
// Data.
type Paired struct {
	Data  []uint32
	Off   []int32 // per pair of rows: start of its window in Data
	Mask  []int32 // per pair of rows: index in Masks of its first mask word
	Masks []uint16
}

// PackPairs writes dst[j] = bfloat16 pair (lo[j], hi[j]) for j < len(dst): the upper half of
// lo[j]'s bits in the lower half of the word, the upper half of hi[j]'s in the upper (a
// truncation, exact for bfloat16 numbers; callers round first). A nil hi packs zeros as the
// upper halves. lo and hi must hold len(dst) floats.
func PackPairs(dst []uint32, lo, hi []float32) {
	n := len(dst)
	if len(lo) < n || hi != nil && len(hi) < n {
		panic(fmt.Sprintf("gemm: PackPairs: %d words from %d and %d floats", n, len(lo), len(hi)))
	}
	done := packPairsAsm(dst, lo, hi)
	for j := done; j < n; j++ {
		w := math.Float32bits(lo[j]) >> 16
		if hi != nil {
			w |= math.Float32bits(hi[j]) &^ 0xffff
		}
		dst[j] = w
	}
}

// FusedBF16Paired is FusedBF16W with B gathered from pairs (same result up to the order of the
// sums): the columns of A are in the order of B's rows, so k = a's inner dimension must be even
// and b must hold k/2 row pairs.
func (w *Workspace) FusedBF16Paired(a *BF16Weights, n int, b *Paired, c []float32, ldc int, bias, res []float32, ldr int, relu, roundC bool) {
	m, k := a.m, a.k
	checkFused(m, n, k, a.a, a.lda, nil, c, ldc, bias, res, ldr)
	checkPaired(n, k, b)
	if w.Before != nil {
		panic("gemm: FusedBF16Paired: Workspace.Before is set (it is not called on pairs)")
	}
	if m == 0 || n == 0 {
		return
	}
	if a.im == nil || a.im != bf16Current {
		w.FusedBF16W(a, n, w.unpair(k, b), c, ldc, bias, res, ldr, relu, roundC)
		return
	}
	a.im.fused(w, a.packed, m, n, k, nil, b, c, ldc, bias, res, ldr, relu, roundC, nil, 0)
}

func checkPaired(n, k int, b *Paired) {
	if k%2 != 0 {
		panic(fmt.Sprintf("gemm: FusedBF16Paired: k = %d is odd", k))
	}
	if len(b.Off) < k/2 || len(b.Mask) < k/2 {
		panic(fmt.Sprintf("gemm: FusedBF16Paired: %d offsets and %d masks for k/2 = %d row pairs", len(b.Off), len(b.Mask), k/2))
	}
	if n == 0 {
		return
	}
	nd, nm := len(b.Data)-n, len(b.Masks)-n/16
	for t, o := range b.Off[:k/2] {
		if o < 0 || int(o) > nd {
			panic(fmt.Sprintf("gemm: FusedBF16Paired: pair %d's window Data[%d:%d] is outside len(Data) = %d", t, o, int(o)+n, len(b.Data)))
		}
		if mk := b.Mask[t]; mk < 0 || int(mk) > nm {
			panic(fmt.Sprintf("gemm: FusedBF16Paired: pair %d's masks Masks[%d:%d] are outside len(Masks) = %d", t, mk, int(mk)+n/16, len(b.Masks)))
		}
	}
}

// unpair returns b as a Gathered matrix over float32 copies of its halves (in w's buffers),
// for the float32 kernels.
func (w *Workspace) unpair(k int, b *Paired) *Gathered {
	nd := len(b.Data)
	w.unp.Data = grow(w.unp.Data, 2*nd)
	for i, v := range b.Data {
		w.unp.Data[i] = math.Float32frombits(v << 16)
		w.unp.Data[nd+i] = math.Float32frombits(v &^ 0xffff)
	}
	w.unp.Off = growI32(w.unp.Off, k)
	w.unp.Mask = growI32(w.unp.Mask, k)
	for t := range k / 2 {
		w.unp.Off[2*t], w.unp.Off[2*t+1] = b.Off[t], b.Off[t]+int32(nd)
		w.unp.Mask[2*t], w.unp.Mask[2*t+1] = b.Mask[t], b.Mask[t]
	}
	w.unp.Masks = b.Masks
	return &w.unp
}

func growI32(buf []int32, n int) []int32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]int32, n)
}

// pairsPtr returns &p.Data[j0] without a bounds check (checkPaired verified the windows).
func pairsPtr(p *Paired, j0 int) *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(p.Data)), 4*j0))
}

// BF16Paired reports whether FusedBF16Paired runs on bfloat16 tiles in this process (AMX or
// AVX512-BF16), where it is the faster of the two; with the float32 kernels it unpacks the
// pairs into float32 rows first.
func BF16Paired() bool { return bf16Current != nil }

// FusedBF16ToPairs is FusedBF16W (b not nil) or FusedBF16Paired (b nil, pb the B) with roundC,
// that also stores the rounded results as bfloat16 channel pairs, for a product whose output
// the next one reads as pairs: pc[r·ldp + j] = pair (C[2r][j], C[2r+1][j]) as PackPairs
// writes it, for r < m/2 and j < n; ldp ≥ n. With c nil only the pairs are stored. With pg not
// nil the columns are the pixels of pg's images in plain order and pixel j's pair goes to its
// position in the grid instead, pc[r·ldp + pg.Pos(…)] (ldp ≥ pg.Cols()), for FusedBF16Tiled;
// nothing else of pc is written.
func (w *Workspace) FusedBF16ToPairs(a *BF16Weights, n int, b *Gathered, pb *Paired, c []float32, ldc int, bias, res []float32, ldr int, relu bool, pc []uint32, ldp int, pg *Grid) {
	m := a.m
	if w.After != nil || w.Before != nil {
		panic("gemm: FusedBF16ToPairs: Workspace.After or Before is set (the pairs would miss what After does to C; Before is not called)")
	}
	cols := n
	if pg != nil {
		cols = pg.Cols()
	}
	if ldp < cols || m > 0 && n > 0 && len(pc) < (m/2-1)*ldp+cols {
		panic(fmt.Sprintf("gemm: FusedBF16ToPairs: len(pc) = %d, ldp = %d for %d row pairs of %d columns", len(pc), ldp, m/2, cols))
	}
	if a.im == nil || a.im != bf16Current || m == 0 || n == 0 || pg != nil && !tileGrids(a.im) {
		cc, ldcc := c, ldc
		if c == nil {
			w.pairC = grow(w.pairC, m*n)
			cc, ldcc = w.pairC, max(1, n)
		}
		if b != nil {
			w.FusedBF16W(a, n, b, cc, ldcc, bias, res, ldr, relu, true)
		} else {
			w.FusedBF16Paired(a, n, pb, cc, ldcc, bias, res, ldr, relu, true)
		}
		ep := tileEpilogue{pc: pc, ldp: ldp, pgrid: pg}
		for r := range m / 2 {
			ep.segments(0, n, func(off, l, _, pj int) {
				if pj >= 0 {
					PackPairs(pc[r*ldp+pj:][:l], cc[2*r*ldcc+off:][:l], cc[(2*r+1)*ldcc+off:][:l])
				}
			})
		}
		return
	}
	checkFusedC(m, n, a.k, a.a, a.lda, b, c, ldc, bias, res, ldr, c != nil)
	if b == nil {
		checkPaired(n, a.k, pb)
	}
	if pg != nil {
		fusedGrid(w, a, n, b, pb, &tileEpilogue{c: c, ldc: ldc, bias: bias, res: res, ldr: ldr, relu: relu, round: true, pc: pc, ldp: ldp, pgrid: pg})
		return
	}
	a.im.fused(w, a.packed, m, n, a.k, b, pb, c, ldc, bias, res, ldr, relu, true, pc, ldp)
}
