//go:build !noasm

package gemm

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// amxPanel computes 32×32 float32 blocks of C from packed bf16 tiles (amx_amd64.s).
//
//go:noescape
func amxPanel(cfg *byte, a *uint16, b *uint16, c *float32, kq int, mblocks int)

// amxPanelTiled is amxPanel with B's tile pairs read where they lie: chunk q's at b + boff[q]
// bytes, rows ldb bytes apart (amx_amd64.s).
//
//go:noescape
func amxPanelTiled(cfg *byte, a *uint16, b *uint32, boff *int, ldb int, c *float32, kq int, mblocks int)

// amxPanelTiledCode returns the first byte of amxPanelTiled's machine code.
func amxPanelTiledCode() *byte

// amxPanel16 is amxPanel for one block of 16 rows (amx_amd64.s).
//
//go:noescape
func amxPanel16(cfg *byte, a *uint16, b *uint16, c *float32, kq int)

// amxPanel16Code returns the first byte of amxPanel16's machine code.
func amxPanel16Code() *byte

// dpbf16Panel computes 16-row blocks of C from the packed operands with VDPBF16PS
// (dpbf16_amd64.s).
//
//go:noescape
func dpbf16Panel(a *uint16, b *uint16, c *float32, kq int, tiles int)

// dpbf16PanelCode returns the first byte of dpbf16Panel's machine code.
func dpbf16PanelCode() *byte

// amxPackB gathers pairs of rows of B into AMX tile rows (amx_amd64.s).
//
//go:noescape
func amxPackB(pairs int, dst *uint16, src *float32, off, msk *int32, masks *byte, width int)

// amxPackPairs copies pairs of rows of a Paired B into AMX tile rows (amx_amd64.s).
//
//go:noescape
func amxPackPairs(pairs int, dst *uint16, src *uint32, off, msk *int32, masks *byte, width int)

// amxEpilogue adds bias and residual to the float32 blocks, applies the ReLU, rounds to
// bfloat16 if round, and stores them in C (amx_amd64.s).
//
//go:noescape
func amxEpilogue(m, width int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool)

// amxEpiloguePairs is amxEpilogue with round (m even) that also stores the results as bfloat16
// channel pairs at p, rows of pairs ldp words apart (amx_amd64.s).
//
//go:noescape
func amxEpiloguePairs(m, width int, t, c *float32, ldc int, bias, res *float32, ldr int, relu bool, p *uint32, ldp int)

// amxEpilogueGrid is amxEpilogue (and amxEpiloguePairs where p is not nil) for a block of 32
// columns of which those in mask are stored, C's and res's as consecutive floats, the pairs
// where they are (amx_amd64.s).
//
//go:noescape
func amxEpilogueGrid(m int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)

// amxEpilogueGridP is amxEpilogueGrid with the residual read as channel pairs at the block's
// positions, rows ldr words apart (amx_amd64.s).
//
//go:noescape
func amxEpilogueGridP(m int, t, c *float32, ldc int, bias *float32, res *uint32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)

// amxEpilogueGridX is amxEpilogueGrid with t's columns consecutive pixels too, expanded into
// the window's positions (amx_amd64.s).
//
//go:noescape
func amxEpilogueGridX(m int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool, p *uint32, ldp int, mask uint32)

// amxPanelCode returns the first byte of amxPanel's machine code.
func amxPanelCode() *byte

// amxConfig is the tile configuration amxPanel loads: palette 1, tiles 0-7 of 16 rows × 64
// bytes (colsb at bytes 16+2i, rows at byte 48+i).
var amxConfig = func() (cfg [64]byte) {
	cfg[0] = 1
	for i := range 8 {
		cfg[16+2*i] = 64
		cfg[48+i] = 16
	}
	return cfg
}()

// archBF16s returns the bfloat16 implementations this CPU supports, best first: AMX when the
// CPU has AMX-BF16 and Linux grants the tile state, AVX512-BF16 (VDPBF16PS) when it has that.
func archBF16s() []bf16Impl {
	var l []bf16Impl
	if cpu.X86.HasAMXBF16 && cpu.X86.HasAMXTile && amxPermission() {
		l = append(l, amxTiles)
	}
	if cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX512BW {
		l = append(l, dpbf16Tiles)
	}
	return l
}

// The two tileImpls (pointers, so that BF16Weights can tell which one packed).
var (
	amxTiles    = &tileImpl{"amx-bf16", amxProduct}
	dpbf16Tiles = &tileImpl{"avx512-bf16", dpbf16Product}
)

// tileImpl computes FusedBF16 on A packed into AMX tile layout (BF16Weights.Pack, once per
// weight set: bf16 tiles of 16 rows × 32 k, rows padded to 32, k to a multiple of 32, with
// zeros). For each panel of 32 columns of B, the panel is gathered into bf16 pairs of k
// ("VNNI" layout: row r of a tile holds k = 2r and 2r+1 of each column; amxPackB), product
// computes the m×32 float32 block of A·B into a scratch (AMX tiles or VDPBF16PS), and the
// epilogue adds bias and residual, applies the ReLU and stores the columns that exist.
type tileImpl struct {
	label string
	// product sets the rows < m (rounded up to 16) of c (rows 32 floats apart) to the product of
	// the packed A (kq chunks of 32 k) and the packed B panel.
	product func(tiles, b []uint16, c []float32, m, kq int)
}

func (im *tileImpl) name() string { return im.label }

func (*tileImpl) pack(dst []uint16, m, k int, a []float32, lda int) []uint16 {
	kq := (k + 31) / 32
	dst = growU16(dst, (m+31)/32*2*kq*512)
	packAAMX(dst, m, k, kq, a, lda)
	return dst
}

func (im *tileImpl) fused(w *Workspace, tiles []uint16, m, n, k int, b *Gathered, pb *Paired, c []float32, ldc int, bias, res []float32, ldr int, relu, round bool, pc []uint32, ldp int) {
	im.fusedEp(w, tiles, m, n, k, b, pb, &tileEpilogue{c: c, ldc: ldc, bias: bias, res: res, ldr: ldr, relu: relu, round: round, pc: pc, ldp: ldp})
}

// tileGrids reports whether im stores pairs into a Grid itself (fusedGrid).
func tileGrids(im bf16Impl) bool {
	_, ok := im.(*tileImpl)
	return ok
}

// fusedGrid is FusedBF16ToPairs' product on tiles with the epilogue ep (its pgrid set).
func fusedGrid(w *Workspace, a *BF16Weights, n int, b *Gathered, pb *Paired, ep *tileEpilogue) {
	a.im.(*tileImpl).fusedEp(w, a.packed, a.m, n, a.k, b, pb, ep)
}

// fusedEp is fused with its epilogue's arguments in ep.
func (im *tileImpl) fusedEp(w *Workspace, tiles []uint16, m, n, k int, b *Gathered, pb *Paired, ep *tileEpilogue) {
	kq := (k + 31) / 32
	mb := (m + 31) / 32
	_ = tiles[mb*2*kq*512-1]
	w.amxC = grow(w.amxC, mb*32*32)
	if mb*2048*kq > 3*amxStationaryBytes && n > 32 {
		chunk := max(1, amxStationaryBytes/(2048*kq))
		im.fusedStationary(w, tiles, m, n, k, chunk*32, b, pb, ep)
		return
	}
	w.amxB = growU16(w.amxB, kq*1024)
	after := afterBlocks{f: w.After, rows: m}
	for j0 := 0; j0 < n; j0 += 32 {
		width := min(32, n-j0)
		packPanel(w.amxB, k, kq, b, pb, j0, width, j0 == 0)
		im.product(tiles, w.amxB, w.amxC, m, kq)
		ep.store(w.amxC, 0, m, j0, width)
		after.panel(j0+width, j0+width == n)
	}
}

// amxStationaryBytes sets the loop order of fused. A packed A of up to 3 times as many bytes
// (1.5 MiB) is read whole for each panel of 32 columns of B, from L2 (2 MiB on the Xeon this
// was measured on). A larger one (the 3×3 convolutions of 512 channels: 2.4–4.7 MB) would be
// read from L3 or memory for every panel, so fusedStationary packs all of B first and runs
// over A in chunks of amxStationaryBytes instead, each read once and kept in L2 for every
// panel: on torchvision's resnet18 at 224×224 in bfloat16 (4 images per product) its layers
// of 512 channels took 11–19% less CPU time. (With 256 channels, 1.2 MB, streaming A measured
// faster: all of B, 3.6 MB, then falls out of L2.)
var amxStationaryBytes = 512 << 10

// fusedStationary is fused with A read once: B packed whole (every panel of 32 columns), then
// for each chunk of rows rows of A, every panel's product and epilogue.
func (im *tileImpl) fusedStationary(w *Workspace, tiles []uint16, m, n, k, rows int, b *Gathered, pb *Paired, ep *tileEpilogue) {
	kq := (k + 31) / 32
	panels := (n + 31) / 32
	w.amxBs = growU16(w.amxBs, panels*kq*1024)
	for p := range panels {
		packPanel(w.amxBs[p*kq*1024:(p+1)*kq*1024], k, kq, b, pb, 32*p, min(32, n-32*p), true)
	}
	for r0 := 0; r0 < m; r0 += rows {
		mr := min(rows, m-r0)
		t := tiles[r0/32*2*kq*512:]
		after := afterBlocks{f: w.After, r0: r0, rows: mr}
		for p := range panels {
			im.product(t, w.amxBs[p*kq*1024:], w.amxC, mr, kq)
			ep.store(w.amxC, r0, mr, 32*p, min(32, n-32*p))
			after.panel(min(32*(p+1), n), p == panels-1)
		}
	}
}

// packPanel writes columns j0..j0+width-1 of B (b, or pb when b is nil) as kq tile pairs into
// dst (packBAMX, packPairsAMX; zeroTail: also the zero rows beyond k of a paired B).
func packPanel(dst []uint16, k, kq int, b *Gathered, pb *Paired, j0, width int, zeroTail bool) {
	if b != nil {
		packBAMX(dst, k, kq, b, j0, width)
	} else {
		packPairsAMX(dst, k, kq, pb, j0, width, zeroTail)
	}
}

// store finishes rows r0..r0+rows-1 (r0 even), columns j0..j0+width-1 of the product from the
// float32 blocks t (row r0 first, rows 32 floats apart), run by run (tileEpilogue.segments).
func (ep *tileEpilogue) store(t []float32, r0, rows, j0, width int) {
	if ep.grid == nil && ep.pgrid == nil {
		ep.storeRun(t, r0, rows, width, j0, j0)
		return
	}
	if ep.grid != nil {
		ep.storeGrid(t, r0, rows, j0, width)
		return
	}
	if ep.pc != nil {
		ep.storePixels(t, r0, rows, j0, width)
		return
	}
	ep.segments(j0, width, func(off, l, cj, pj int) { ep.storeRun(t[off:], r0, rows, l, cj, pj) })
}

// storeGrid is store for columns that are positions of ep.grid: one amxEpilogueGrid call
// over the block, its pixels (consecutive in C) as a mask.
func (ep *tileEpilogue) storeGrid(t []float32, r0, rows, j0, width int) {
	var mask uint32
	p0 := -1
	ep.segments(j0, width, func(off, l, cj, _ int) {
		if p0 < 0 {
			p0 = cj
		}
		mask |= (1<<l - 1) << off
	})
	if p0 < 0 {
		return
	}
	// Bounds: checkTiled verified C, bias and res for m rows and the pixels, pc for m/2 rows
	// of the positions.
	var cp, rp *float32
	if ep.c != nil {
		cp = &ep.c[r0*ep.ldc+p0]
	}
	if ep.res != nil {
		rp = &ep.res[r0*ep.ldr+p0]
	}
	var pp *uint32
	if ep.pc != nil {
		pp = &ep.pc[r0/2*ep.ldp+j0]
	}
	if ep.resp != nil {
		amxEpilogueGridP(rows, &t[0], cp, ep.ldc, &ep.bias[r0], &ep.resp[r0/2*ep.ldr+j0], ep.ldr, ep.relu, ep.round, pp, ep.ldp, mask)
		return
	}
	amxEpilogueGrid(rows, &t[0], cp, ep.ldc, &ep.bias[r0], rp, ep.ldr, ep.relu, ep.round, pp, ep.ldp, mask)
}

// storePixels is store for columns that are pixels whose pairs go to their positions in
// ep.pgrid: one amxEpilogueGridX call per window of 32 positions (one to three per block),
// the columns beyond the images as storeRun stores them (C only).
func (ep *tileEpilogue) storePixels(t []float32, r0, rows, j0, width int) {
	end := j0 + width
	for p := j0; p < end; {
		j, _, ok := ep.pgrid.positions(p, end)
		if !ok {
			ep.storeRun(t[p-j0:], r0, rows, end-p, p, -1)
			return
		}
		var mask uint32
		q := p
		for q < end {
			jq, l, ok := ep.pgrid.positions(q, end)
			if !ok || jq >= j+32 {
				break
			}
			l = min(l, j+32-jq)
			mask |= (1<<l - 1) << (jq - j)
			q += l
		}
		// Bounds: checkFused verified C, bias and res for m rows and n columns, and
		// FusedBF16ToPairs pc for m/2 rows of the grid's positions.
		var cp, rp *float32
		if ep.c != nil {
			cp = &ep.c[r0*ep.ldc+p]
		}
		if ep.res != nil {
			rp = &ep.res[r0*ep.ldr+p]
		}
		amxEpilogueGridX(rows, &t[p-j0], cp, ep.ldc, &ep.bias[r0], rp, ep.ldr, ep.relu, ep.round, &ep.pc[r0/2*ep.ldp+j], ep.ldp, mask)
		p = q
	}
}

// storeRun stores l columns (l ≤ 32) of rows r0..r0+rows-1 from t: C's (and res's) from column
// cj, the pairs' from column pj (none when pj < 0).
func (ep *tileEpilogue) storeRun(t []float32, r0, rows, l, cj, pj int) {
	// Bounds: checkFused (checkTiled) verified C, bias and res for m rows and the columns
	// stored, and FusedBF16ToPairs (checkTiled) pc for m/2 rows.
	var rp *float32
	if ep.res != nil {
		rp = &ep.res[r0*ep.ldr+cj]
	}
	if ep.pc != nil && pj >= 0 {
		var cp *float32 // nil: pairs only
		if ep.c != nil {
			cp = &ep.c[r0*ep.ldc+cj]
		}
		amxEpiloguePairs(rows, l, &t[0], cp, ep.ldc, &ep.bias[r0], rp, ep.ldr, ep.relu, &ep.pc[r0/2*ep.ldp+pj], ep.ldp)
		return
	}
	if ep.c != nil {
		amxEpilogue(rows, l, &t[0], &ep.c[r0*ep.ldc+cj], ep.ldc, &ep.bias[r0], rp, ep.ldr, ep.relu, ep.round)
	}
}

// fusedTiledArch computes FusedBF16Tiled with amxPanelTiled where a is packed for AMX and m is
// a multiple of 32 (else it reports false): A in chunks of rows read once for every panel of
// 32 columns where it is larger than L2 (as fusedStationary), B's tiles from where they lie.
func fusedTiledArch(w *Workspace, a *BF16Weights, n int, b *Tiled, ep *tileEpilogue) bool {
	m, kq := a.m, a.k/32
	if a.im != amxTiles || m%32 != 0 {
		return false
	}
	if cap(w.tboff) < kq {
		w.tboff = make([]int, kq)
	}
	boff := w.tboff[:kq]
	for q := range boff {
		boff[q] = 4 * int(b.Off[q])
	}
	rows := m
	if m*2048*kq/32 > 3*amxStationaryBytes {
		rows = max(1, amxStationaryBytes/(2048*kq)) * 32
	}
	w.amxC = grow(w.amxC, rows*32)
	// Bounds: checkTiled verified every row's window of whole panels.
	data := unsafe.Pointer(unsafe.SliceData(b.Data))
	for r0 := 0; r0 < m; r0 += rows {
		mr := min(rows, m-r0)
		for j0 := 0; j0 < n; j0 += 32 {
			amxPanelTiled(&amxConfig[0], &a.packed[r0/32*2*kq*512], (*uint32)(unsafe.Add(data, 4*j0)), &boff[0], 4*b.Ld, &w.amxC[0], kq, mr/32)
			ep.store(w.amxC, r0, mr, j0, min(32, n-j0))
		}
	}
	return true
}

// amxProduct is tileImpl.product on AMX: whole 32-row blocks by amxPanel, then a last block of
// 8 or 16 rows as one 16-row tile row by amxPanel16.
func amxProduct(tiles, b []uint16, c []float32, m, kq int) {
	full := (m + 31) / 32
	if m%32 != 0 && m%32 <= 16 {
		full--
		amxPanel16(&amxConfig[0], &tiles[full*2*kq*512], &b[0], &c[full*32*32], kq)
	}
	if full > 0 {
		amxPanel(&amxConfig[0], &tiles[0], &b[0], &c[0], kq, full)
	}
}

// dpbf16Product is tileImpl.product with VDPBF16PS, 16 rows at a time.
func dpbf16Product(tiles, b []uint16, c []float32, m, kq int) {
	dpbf16Panel(&tiles[0], &b[0], &c[0], kq, (m+15)/16)
}

// bf16Bits returns the upper half of x's bits: x truncated to bfloat16 (exact for a bfloat16
// number).
func bf16Bits(x float32) uint16 { return uint16(math.Float32bits(x) >> 16) }

// packAAMX writes A (m×k, row stride lda) as bf16 tiles: element (i, p) at
// ((i/16)·kq + p/32)·512 + (i%16)·32 + p%32, zero beyond m rows (up to a multiple of 32) and
// k columns (up to 32·kq).
func packAAMX(dst []uint16, m, k, kq int, a []float32, lda int) {
	rows := (m + 31) / 32 * 32
	for i := range rows {
		tile := dst[(i/16)*kq*512+(i%16)*32:]
		if i >= m {
			for q := range kq {
				clear(tile[q*512 : q*512+32])
			}
			continue
		}
		row := a[i*lda : i*lda+k]
		for q := range kq {
			d := tile[q*512 : q*512+32]
			p0 := q * 32
			n := min(32, k-p0)
			for j, v := range row[p0 : p0+n] {
				d[j] = bf16Bits(v)
			}
			clear(d[n:])
		}
	}
}

// packBAMX writes columns j0..j0+width-1 of the gathered B as kq tile pairs: element (p, j)
// at (p/32)·1024 + ((p%32)/2)·64 + 2j + p%2 (pair p/2 of k occupies 64 elements), zero beyond
// k rows and width columns. amxPackB gathers the whole pairs; the odd last row and the padding
// are written here.
func packBAMX(dst []uint16, k, kq int, b *Gathered, j0, width int) {
	pairs := k / 2
	if pairs > 0 {
		// Bounds: checkFused verified every window and mask row; dst holds kq·1024 elements.
		_ = dst[pairs*64-1]
		src := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Data)), 4*j0)
		masks := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Masks)), j0/8)
		amxPackB(pairs, &dst[0], (*float32)(src), &b.Off[0], &b.Mask[0], (*byte)(masks), width)
	}
	rest := dst[pairs*64 : kq*1024]
	clear(rest)
	if p := k - 1; k%2 == 1 {
		win := b.Data[int(b.Off[p])+j0:][:width]
		mk := b.Masks[int(b.Mask[p])+j0/16:]
		for j, v := range win {
			if mk[j/16]>>(j%16)&1 != 0 {
				rest[2*j] = bf16Bits(v)
			}
		}
	}
}

// packPairsAMX is packBAMX for a Paired B (k even): each pair of rows is one masked copy of its
// window (amxPackPairs). The zero rows beyond k are written if zeroTail (fused's later panels
// reuse dst and leave them alone).
func packPairsAMX(dst []uint16, k, kq int, b *Paired, j0, width int, zeroTail bool) {
	pairs := k / 2
	// Bounds: checkPaired verified every window and mask row; dst holds kq·1024 elements.
	_ = dst[kq*1024-1]
	masks := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.Masks)), j0/8)
	amxPackPairs(pairs, &dst[0], pairsPtr(b, j0), &b.Off[0], &b.Mask[0], (*byte)(masks), width)
	if zeroTail {
		clear(dst[pairs*64 : kq*1024])
	}
}

// growU16 returns buf if it holds n elements, else a new 64-byte aligned slice.
func growU16(buf []uint16, n int) []uint16 {
	if len(buf) >= n {
		return buf
	}
	s := make([]uint16, n+32)
	off := 0
	if r := uintptr(unsafe.Pointer(&s[0])) % 64; r != 0 {
		off = int(64-r) / 2
	}
	return s[off : off+n : off+n]
}
