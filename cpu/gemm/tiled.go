package gemm

import (
	"fmt"
	"math"
)

// # Tiles read where they lie
//
// A Paired B is still copied, pair of rows by pair of rows under masks, into a packed panel
// before the AMX kernel reads it. For a 3×3 stride-1 convolution whose input is stored as
// channel pairs in a zero-padded grid (Grid), every tile of B is a plain strided block of that
// store: 16 consecutive channel pairs (rows Ld words apart) of 16 consecutive grid positions,
// shifted by the tap. The padding is zero, so no mask is needed, and the AMX kernel loads B's
// tiles from the activation itself (amxPanelTiled). The product is computed for every grid
// position, padding included; the epilogue stores only the pixels.

// Grid lays out the pixels of Images images of H×W with zero padding between them: pixel
// (b, y, x) at position b·P + (y+1)·(W+1) + x, P = (H+1)·(W+1). Row 0 of each image's block
// and column W of each row are padding, so that the neighbours of every pixel lie at fixed
// offsets dy·(W+1) + dx, dy, dx ∈ {−1, 0, 1}, and are zero outside the image (the row above
// image b is image b's padding row, the one below image b+1's; the last image's lies after
// Cols).
type Grid struct{ Images, H, W int }

// Cols returns the positions of the images' blocks: Images·(H+1)·(W+1).
func (g Grid) Cols() int { return g.Images * (g.H + 1) * (g.W + 1) }

// Pos returns the position of pixel (b, y, x).
func (g Grid) Pos(b, y, x int) int { return b*(g.H+1)*(g.W+1) + (y+1)*(g.W+1) + x }

// pixels returns, for position j < end, the run of positions j..j+l-1 (l ≥ 1, j+l ≤ end)
// that are the pixels p..p+l-1 in plain order ((b·H + y)·W + x), or, when ok is false,
// padding (or beyond the images).
func (g Grid) pixels(j, end int) (p, l int, ok bool) {
	rw := g.W + 1
	blk := (g.H + 1) * rw
	b, r, x := j/blk, j%blk/rw, j%rw
	switch {
	case b >= g.Images:
		return 0, end - j, false
	case r == 0:
		return 0, min(rw-x, end-j), false
	case x == g.W:
		return 0, 1, false
	}
	return (b*g.H+r-1)*g.W + x, min(g.W-x, end-j), true
}

// positions returns, for pixel p < end (plain order), the run of pixels p..p+l-1 in one row
// and their first position j, or ok false when p is beyond the images.
func (g Grid) positions(p, end int) (j, l int, ok bool) {
	hw := g.H * g.W
	b, y, x := p/hw, p%hw/g.W, p%g.W
	if b >= g.Images {
		return 0, end - p, false
	}
	return g.Pos(b, y, x), min(g.W-x, end-p), true
}

// Tiled is a k×n matrix B of bfloat16 numbers (k a multiple of 32) read as tiles from Data,
// chunk q of 32 rows holding 16 row pairs Ld words apart from word Off[q]:
//
//	B[32q + 2r + h][j] = half h of Data[Off[q] + r·Ld + j],  r < 16, h < 2,
//
// half 0 the lower 16 bits of the word (as for Paired). The kernels read whole panels of 32
// columns, so every row's window Data[Off[q] + r·Ld : … + n rounded up to 32] must lie inside
// Data.
type Tiled struct {
	Data []uint32
	Off  []int32
	Ld   int
}

// FusedBF16Tiled computes the product of a (m×k, k a multiple of 32) and a Tiled B over the
// positions of the grid g, as FusedBF16ToPairs does with its epilogue, storing only the
// pixels: for position j = g.Pos(b, y, x) and p = (b·H + y)·W + x,
//
//	C[i][p] = round?(ReLU?((A·B)[i][j] + (bias[i] + res[i][p])))
//
// with res optional (nil) or, with resp not nil instead, read as channel pairs at the positions
// (res[i][p] = half i%2 of resp[i/2·ldr + j], as pc is written: the pairs a producer stored
// for the step before), round when roundC (RoundBF16), C optional (nil) when pc is not
// nil, and with pc not nil (roundC, m even) the pairs pc[r·ldp + j] = (C[2r][p], C[2r+1][p])
// as PackPairs writes them, at the pixels' positions; nothing else of C or pc is written. The
// same numbers as FusedBF16W on the same B rows, up to the order of the sums.
func (w *Workspace) FusedBF16Tiled(a *BF16Weights, g Grid, b *Tiled, c []float32, ldc int, bias, res []float32, resp []uint32, ldr int, relu, roundC bool, pc []uint32, ldp int) {
	m, k := a.m, a.k
	n := roundUp16(g.Cols())
	px := g.Images * g.H * g.W
	checkTiled(m, k, n, g, b, c, ldc, bias, res, ldr, roundC, pc, ldp)
	if resp != nil && (res != nil || m%2 != 0 || ldr < n || len(resp) < (m/2-1)*ldr+n) {
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: residual pairs: len = %d, ldr = %d for %d row pairs of %d positions (and res nil)", len(resp), ldr, m/2, n))
	}
	if m == 0 || px == 0 {
		return
	}
	ep := tileEpilogue{c: c, ldc: ldc, bias: bias, res: res, resp: resp, ldr: ldr, relu: relu, round: roundC, pc: pc, ldp: ldp, grid: &g}
	if a.im != nil && a.im == bf16Current && fusedTiledArch(w, a, n, b, &ep) {
		return
	}
	// Elsewhere: the product into w.tiledC through the Paired view of B, then the epilogue.
	w.tiledC = grow(w.tiledC, m*n)
	w.zeros = grow(w.zeros, m)
	clear(w.zeros)
	w.FusedBF16Paired(a, n, w.pairedView(k, n, b), w.tiledC, n, w.zeros[:m], nil, 0, false, false)
	for j := 0; j < n; j += 32 {
		ep.storeGo(w.tiledC[j:], n, 0, m, j, min(32, n-j))
	}
}

func roundUp16(n int) int { return (n + 15) / 16 * 16 }

func checkTiled(m, k, n int, g Grid, b *Tiled, c []float32, ldc int, bias, res []float32, ldr int, roundC bool, pc []uint32, ldp int) {
	switch {
	case g.Images < 0 || g.H < 1 || g.W < 1:
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: grid of %d images of %d×%d", g.Images, g.H, g.W))
	case k%32 != 0 || len(b.Off) < k/32:
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: k = %d is not a multiple of 32 or %d chunk offsets are too few", k, len(b.Off)))
	case c == nil && pc == nil:
		panic("gemm: FusedBF16Tiled: neither C nor pairs to store")
	case pc != nil && (!roundC || m%2 != 0 || ldp < n || len(pc) < (m/2-1)*ldp+n):
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: pairs need roundC, m = %d even and len(pc) = %d ≥ %d row pairs of ldp = %d ≥ %d words", m, len(pc), m/2, ldp, n))
	}
	px := g.Images * g.H * g.W
	if c != nil && (ldc < px || len(c) < matLen(m, px, ldc)) {
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: len(c) = %d, ldc = %d for %d×%d", len(c), ldc, m, px))
	}
	if res != nil && (ldr < px || len(res) < matLen(m, px, ldr)) {
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: len(res) = %d, ldr = %d for %d×%d", len(res), ldr, m, px))
	}
	if len(bias) < m {
		panic(fmt.Sprintf("gemm: FusedBF16Tiled: len(bias) = %d < m = %d", len(bias), m))
	}
	span := (n + 31) / 32 * 32
	for q, o := range b.Off[:k/32] {
		if o < 0 || int(o)+15*b.Ld+span > len(b.Data) {
			panic(fmt.Sprintf("gemm: FusedBF16Tiled: chunk %d's rows from Data[%d] (%d words apart, %d columns) run past len(Data) = %d", q, o, b.Ld, span, len(b.Data)))
		}
	}
}

// pairedView returns b as a Paired matrix (in w's buffers): row pair 16q + r's window at
// Off[q] + r·Ld, every mask set.
func (w *Workspace) pairedView(k, n int, b *Tiled) *Paired {
	w.tiledP.Data = b.Data
	w.tiledP.Off = growI32(w.tiledP.Off, k/2)
	w.tiledP.Mask = growI32(w.tiledP.Mask, k/2)
	for q := range k / 32 {
		for r := range 16 {
			w.tiledP.Off[16*q+r] = b.Off[q] + int32(r*b.Ld)
			w.tiledP.Mask[16*q+r] = 0
		}
	}
	if len(w.tiledP.Masks) < n/16 {
		w.tiledP.Masks = make([]uint16, n/16)
		for i := range w.tiledP.Masks {
			w.tiledP.Masks[i] = 0xffff
		}
	}
	return &w.tiledP
}

// tileEpilogue is what fused stores: C (ldc), the bias, residual (ldr) and ReLU, the rounding
// to bfloat16, and the channel pairs (pc, ldp; nil: none; then C nil stores the pairs only).
type tileEpilogue struct {
	c           []float32
	ldc         int
	bias, res   []float32
	resp        []uint32 // the residual as channel pairs at the grid's positions (grid only)
	ldr         int
	relu, round bool
	pc          []uint32
	ldp         int
	// grid: the product's columns are the positions of this grid (FusedBF16Tiled), C's and
	// res's its pixels in plain order, the pairs at the positions; pgrid: the columns are
	// pixels, the pairs go to their positions in this grid. nil: columns are C's and the pairs'.
	grid, pgrid *Grid
}

// storeGo is the epilogue's store (tileEpilogue.store) in Go, from t (rows ldt floats apart).
func (ep *tileEpilogue) storeGo(t []float32, ldt, r0, rows, j0, width int) {
	ep.segments(j0, width, func(off, l, cj, pj int) {
		for i := r0; i < r0+rows; i++ {
			for s := range l {
				x := t[(i-r0)*ldt+off+s] + ep.bias[i]
				switch {
				case ep.res != nil:
					x = t[(i-r0)*ldt+off+s] + (ep.bias[i] + ep.res[i*ep.ldr+cj+s])
				case ep.resp != nil:
					rw := ep.resp[i/2*ep.ldr+pj+s]
					r := math.Float32frombits(rw << 16)
					if i%2 == 1 {
						r = math.Float32frombits(rw &^ 0xffff)
					}
					x = t[(i-r0)*ldt+off+s] + (ep.bias[i] + r)
				}
				if ep.relu && x < 0 {
					x = 0
				}
				if ep.round {
					x = RoundBF16(x)
				}
				if ep.c != nil {
					ep.c[i*ep.ldc+cj+s] = x
				}
				if ep.pc != nil && pj >= 0 {
					wd := &ep.pc[i/2*ep.ldp+pj+s]
					if i%2 == 0 {
						*wd = *wd&^0xffff | math.Float32bits(x)>>16
					} else {
						*wd = *wd&0xffff | math.Float32bits(x)&^0xffff
					}
				}
			}
		}
	})
}

// segments calls f for the runs of the columns j0..j0+width-1 of the product that are
// stored: off, the run's first column less j0; l, its length; cj, its first column of C (and
// res); pj, of the pairs.
func (ep *tileEpilogue) segments(j0, width int, f func(off, l, cj, pj int)) {
	end := j0 + width
	switch {
	case ep.grid != nil: // columns are positions of the grid
		for j := j0; j < end; {
			p, l, ok := ep.grid.pixels(j, end)
			if ok {
				f(j-j0, l, p, j)
			}
			j += l
		}
	case ep.pgrid != nil: // columns are pixels; the pairs go to their positions
		for p := j0; p < end; {
			j, l, ok := ep.pgrid.positions(p, end)
			if ok {
				f(p-j0, l, p, j)
			} else if ep.c != nil {
				f(p-j0, l, p, -1) // C's columns beyond the pixels, as FusedBF16W stores them
			}
			p += l
		}
	default:
		f(0, width, j0, j0)
	}
}

// BF16Tiled reports whether FusedBF16Tiled runs on AMX tiles in this process, where it is
// faster than FusedBF16Paired; elsewhere it computes through a Paired view and a Go epilogue.
func BF16Tiled() bool {
	return bf16Current != nil && tileGrids(bf16Current) && bf16Current.name() == "amx-bf16"
}
