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

// amxEpilogue adds bias and residual to the float32 blocks, applies the ReLU, rounds to
// bfloat16 if round, and stores them in C (amx_amd64.s).
//
//go:noescape
func amxEpilogue(m, width int, t, c *float32, ldc int, bias, res *float32, ldr int, relu, round bool)

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

func (im *tileImpl) fused(w *Workspace, tiles []uint16, m, n, k int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, relu, round bool) {
	kq := (k + 31) / 32
	mb := (m + 31) / 32
	_ = tiles[mb*2*kq*512-1]
	w.amxB = growU16(w.amxB, kq*1024)
	w.amxC = grow(w.amxC, mb*32*32)
	for j0 := 0; j0 < n; j0 += 32 {
		width := min(32, n-j0)
		packBAMX(w.amxB, k, kq, b, j0, width)
		im.product(tiles, w.amxB, w.amxC, m, kq)
		var rp *float32
		if res != nil {
			rp = &res[j0]
		}
		// Bounds: checkFused verified C, bias and res for m rows and n columns.
		amxEpilogue(m, width, &w.amxC[0], &c[j0], ldc, &bias[0], rp, ldr, relu, round)
	}
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
