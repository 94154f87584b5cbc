package gemm

import "unsafe"

// packT8, if not nil (set by archImpls), sets dst[p*ldd+j] = src[j*lds+p] for j < 8 and
// p < kc&^7 (eight rows of src transposed into eight columns of dst).
var packT8 func(kc int, src *float32, lds int, dst *float32, ldd int)

// transposeInto sets d[p*ldd+j] = s[j*lds+p] for j < cols, p < kc.
func transposeInto(cols, kc int, s []float32, lds int, d []float32, ldd int) {
	j := 0
	if packT8 != nil && kc >= 8 {
		// Bounds: rows j..j+7 of s up to column kc, and rows p < kc of d up
		// to column j+8 are inside the slices, as checked here.
		for ; j+8 <= cols; j += 8 {
			_ = s[(j+7)*lds+kc-1]
			_ = d[(kc-1)*ldd+j+7]
			packT8(kc, unsafe.SliceData(s[j*lds:]), lds, unsafe.SliceData(d[j:]), ldd)
		}
		// The tail of p for the columns done above.
		if r := kc &^ 7; r < kc {
			for jj := 0; jj < j; jj++ {
				for p, v := range s[jj*lds+r : jj*lds+kc] {
					d[(r+p)*ldd+jj] = v
				}
			}
		}
	}
	for ; j < cols; j++ {
		for p, v := range s[j*lds : j*lds+kc] {
			d[p*ldd+j] = v
		}
	}
}

// packAPanel packs the mrr×kc block of op(A) whose top-left element is
// op(A)[i0][p0] into dst[:mr*kc] as a micro-panel: op(A)[i0+i][p0+p] goes to
// dst[p*mr+i]. Rows mrr..mr-1 are zero.
func packAPanel(transA bool, mr, mrr, kc int, a []float32, lda, i0, p0 int, dst []float32) {
	d := dst[:mr*kc]
	if transA {
		// op(A)[i][p] = a[p*lda+i]: the rows of the panel are contiguous.
		for p := 0; p < kc; p++ {
			dp := d[p*mr : p*mr+mr]
			copy(dp, a[(p0+p)*lda+i0:][:mrr])
			clear(dp[mrr:])
		}
		return
	}
	transposeInto(mrr, kc, a[i0*lda+p0:], lda, d, mr)
	for i := mrr; i < mr; i++ {
		for p := 0; p < kc; p++ {
			d[p*mr+i] = 0
		}
	}
}

// packBPanel packs the kc×nrr block of op(B) whose top-left element is
// op(B)[p0][j0] into dst[:kc*nr] as a micro-panel: op(B)[p0+p][j0+j] goes to
// dst[p*nr+j]. Columns nrr..nr-1 are zero.
func packBPanel(transB bool, nr, nrr, kc int, b []float32, ldb, p0, j0 int, dst []float32) {
	d := dst[:kc*nr]
	if !transB {
		for p := 0; p < kc; p++ {
			dp := d[p*nr : p*nr+nr]
			copy(dp, b[(p0+p)*ldb+j0:][:nrr])
			clear(dp[nrr:])
		}
		return
	}
	// op(B)[p][j] = b[j*ldb+p].
	transposeInto(nrr, kc, b[j0*ldb+p0:], ldb, d, nr)
	for j := nrr; j < nr; j++ {
		for p := 0; p < kc; p++ {
			d[p*nr+j] = 0
		}
	}
}
