package gemm

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
	for i := 0; i < mrr; i++ {
		for p, v := range a[(i0+i)*lda+p0:][:kc] {
			d[p*mr+i] = v
		}
	}
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
	for j := 0; j < nrr; j++ {
		for p, v := range b[(j0+j)*ldb+p0:][:kc] {
			d[p*nr+j] = v
		}
	}
	for j := nrr; j < nr; j++ {
		for p := 0; p < kc; p++ {
			d[p*nr+j] = 0
		}
	}
}
