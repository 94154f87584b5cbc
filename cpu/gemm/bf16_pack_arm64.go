//go:build !noasm

package gemm

import "math"

// packPanelBF16 writes columns j0..j0+width-1 of the gathered B (k rows) as bfloat16 pairs for
// bf16NEON8x12: word 12t + j = (B[2t][j0+j], B[2t+1][j0+j]) (PackPairs' layout), zero for
// row 2t+1 = k and for columns from width to 12. It packs the last panel of a product, when
// fewer than 12 columns are left (the others: gatherNEON and bf16PairRows12).
func packPanelBF16(dst []uint32, k int, b *Gathered, j0, width int) {
	at := func(p, j int) uint32 {
		if p >= k {
			return 0
		}
		col := j0 + j
		if b.Masks[int(b.Mask[p])+col/16]>>(col%16)&1 == 0 {
			return 0
		}
		return math.Float32bits(b.Data[int(b.Off[p])+col])
	}
	for t := range (k + 1) / 2 {
		row := dst[12*t:][:12]
		for j := range width {
			row[j] = at(2*t, j)>>16 | at(2*t+1, j)&^0xffff
		}
		clear(row[width:])
	}
}

// packPanelPairs is packPanelBF16 for a Paired B (kp row pairs): each word a masked copy.
func packPanelPairs(dst []uint32, kp int, b *Paired, j0, width int) {
	for t := range kp {
		row := dst[12*t:][:12]
		win := b.Data[int(b.Off[t])+j0:][:width]
		mk := b.Masks[int(b.Mask[t]):]
		for j, v := range win {
			col := j0 + j
			if mk[col/16]>>(col%16)&1 == 0 {
				v = 0
			}
			row[j] = v
		}
		clear(row[width:])
	}
}

// bf16Epi is the epilogue of neonBF16's tiles: as epiKernelFunc's with the bias, then ReLU,
// then (round) RoundBF16; it stores C where c is not nil and, where pc is not nil, the pairs
// of rows (2r, 2r+1) as FusedBF16ToPairs does.
type bf16Epi struct {
	c         []float32
	ldc       int
	bias, res []float32
	ldr       int
	relu      bool
	round     bool
	pc        []uint32
	ldp       int
	tile      []float32 // the 8×12 product, rows 12 apart
}

// store finishes rows i0..i0+7, columns j0..j0+width-1 from the tile.
func (e *bf16Epi) store(i0, j0, width int) {
	for r := range 8 {
		i := i0 + r
		t := e.tile[12*r:][:width]
		for j := range t {
			b := e.bias[i]
			if e.res != nil {
				b += e.res[i*e.ldr+j0+j]
			}
			x := t[j] + b
			if e.relu && x < 0 {
				x = 0
			}
			if e.round {
				x = RoundBF16(x)
			}
			t[j] = x
			if e.c != nil {
				e.c[i*e.ldc+j0+j] = x
			}
		}
		if e.pc != nil && r%2 == 1 {
			lo, hi := e.tile[12*(r-1):][:width], t
			PackPairs(e.pc[(i/2)*e.ldp+j0:][:width], lo, hi)
		}
	}
}
