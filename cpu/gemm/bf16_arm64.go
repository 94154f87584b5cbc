//go:build !noasm

package gemm

import (
	"math"
	"unsafe"
)

//go:generate go run gen_bf16_neon.go

// bf16NEON8x12 sets the 8×12 float32 tile c (rows 12 floats apart) to Σ_{t<kp} A[r][pair t] ·
// B[pair t][j] by BFDOT (kernel_bf16_arm64.s): a holds 8 words per pair t (row r's bfloat16
// pair (A[r][2t], A[r][2t+1]) at word 8t + r), b 12 (column j's pair (B[2t][j], B[2t+1][j]) at
// word 12t + j). kp may be 0 (the tile is zeroed).
//
//go:noescape
func bf16NEON8x12(kp int, a *uint16, b *uint32, c *float32)

// bf16PairRows12 writes the kp row pairs of a float32 panel of 12 columns (src: 2kp rows of 12
// floats, bfloat16 numbers) as the kernel's bfloat16 pairs: dst[12t + j] = (src[2t][j],
// src[2t+1][j]) (PackPairs' layout, by TRN2).
//
//go:noescape
func bf16PairRows12(kp int, dst *uint32, src *float32)

// archBF16s returns the bfloat16 implementations this CPU supports: BFDOT where it has
// FEAT_BF16 (Apple M2 and later, Neoverse V1/V2/N2: Graviton 3 and 4, Grace), read from the
// operating system (hasBF16).
func archBF16s() []bf16Impl {
	if hasBF16() {
		return []bf16Impl{neonBF16}
	}
	return nil
}

// neonBF16 computes FusedBF16 with BFDOT on 8×12 tiles. A is packed once per weight set
// (pack: blocks of 8 rows, each a column of bfloat16 pairs per pair of k, zero beyond k); for
// each panel of 12 columns of B the panel is gathered into bfloat16 pairs (packPanelBF16, or
// copied from a Paired B), each 8-row block multiplied by the kernel into a float32 tile, and
// the epilogue adds bias and residual, applies the ReLU, rounds where asked and stores the
// columns that exist (and their channel pairs for FusedBF16ToPairs). Each BFDOT adds the two
// products of a pair (exact in float32) to its accumulator at once, so sums differ from the
// float32 kernels' in order only, as with AVX512-BF16.
var neonBF16 bf16Impl = neonBF16Impl{}

type neonBF16Impl struct{}

func (neonBF16Impl) name() string { return "neon-bf16" }

func (neonBF16Impl) pack(dst []uint16, m, k int, a []float32, lda int) []uint16 {
	kp := (k + 1) / 2
	if n := 2 * m * kp; cap(dst) >= n {
		dst = dst[:n]
	} else {
		dst = make([]uint16, n)
	}
	for i := range m {
		row := a[i*lda:][:k]
		for p, v := range row {
			dst[((i/8*kp+p/2)*8+i%8)*2+p%2] = uint16(math.Float32bits(v) >> 16)
		}
		if k%2 == 1 {
			dst[((i/8*kp+k/2)*8+i%8)*2+1] = 0
		}
	}
	return dst
}

func (neonBF16Impl) fused(w *Workspace, packed []uint16, m, n, k int, b *Gathered, pb *Paired, c []float32, ldc int, bias, res []float32, ldr int, relu, round bool, pc []uint32, ldp int) {
	kp := (k + 1) / 2
	_ = packed[2*m*kp-1]
	// w.amxC: the 8×12 tile, the float32 panel (2kp rows of 12), the pair panel (kp rows).
	w.amxC = grow(w.amxC, 96+36*kp)
	f32 := w.amxC[96 : 96+24*kp]
	pairs := w.amxC[96+24*kp : 96+36*kp]
	panel := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(pairs))), len(pairs))
	e := bf16Epi{c: c, ldc: ldc, bias: bias, res: res, ldr: ldr, relu: relu, round: round, pc: pc, ldp: ldp, tile: w.amxC[:96]}
	// A Paired B is gathered through w.unp as a view of its words (restored after: unpair
	// grows its own buffers there, which must never be the caller's pairs).
	unp := w.unp
	defer func() { w.unp = unp }()
	after := afterBlocks{f: w.After, rows: m}
	for j0 := 0; j0 < n; j0 += 12 {
		width := min(12, n-j0)
		switch {
		case width < 12 && b != nil: // the last panel: the gather packers read whole panels
			packPanelBF16(panel, k, b, j0, width)
		case width < 12:
			packPanelPairs(panel, kp, pb, j0, width)
		case b != nil:
			gatherNEON(12, k, f32, b, 0, j0)
			clear(f32[12*k:]) // the second row of an odd k's last pair
			bf16PairRows12(kp, &panel[0], &f32[0])
		default: // the pairs' words gathered as if they were floats
			w.unp = Gathered{Data: unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(pb.Data))), len(pb.Data)), Off: pb.Off, Mask: pb.Mask, Masks: pb.Masks}
			gatherNEON(12, kp, pairs, &w.unp, 0, j0)
		}
		for i0 := 0; i0 < m; i0 += 8 {
			bf16NEON8x12(kp, &packed[2*i0*kp], &panel[0], &e.tile[0])
			e.store(i0, j0, width)
		}
		after.panel(j0+width, j0+width == n)
	}
}
