package gemm

// packA packs the mc×kc block of op(A) whose top-left element is op(A)[i0][p0]
// into dst as ceil(mc/mr) micro-panels of mr rows: panel q starts at
// dst[q*mr*kc] and holds op(A)[i0+q*mr+i][p0+p] at p*mr+i. Rows past mc are
// zero.
func packA(transA bool, mr, mc, kc int, a []float32, lda, i0, p0 int, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		mrr := min(mr, mc-ir)
		d := dst[ir*kc : (ir+mr)*kc]
		if transA {
			// op(A)[i][p] = a[p*lda+i]: rows of the panel are contiguous.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:][:mrr]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src)
				clear(dp[mrr:])
			}
			continue
		}
		for i := 0; i < mrr; i++ {
			src := a[(i0+ir+i)*lda+p0:][:kc]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		for i := mrr; i < mr; i++ {
			for p := 0; p < kc; p++ {
				d[p*mr+i] = 0
			}
		}
	}
}

// packB packs the kc×nc block of op(B) whose top-left element is op(B)[p0][j0]
// into dst as ceil(nc/nr) micro-panels of nr columns: panel q starts at
// dst[q*nr*kc] and holds op(B)[p0+p][j0+q*nr+j] at p*nr+j. Columns past nc are
// zero.
func packB(transB bool, nr, nc, kc int, b []float32, ldb, p0, j0 int, dst []float32) {
	for jr := 0; jr < nc; jr += nr {
		nrr := min(nr, nc-jr)
		d := dst[jr*kc : (jr+nr)*kc]
		if !transB {
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jr:][:nrr]
				dp := d[p*nr : p*nr+nr]
				copy(dp, src)
				clear(dp[nrr:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p].
		for j := 0; j < nrr; j++ {
			src := b[(j0+jr+j)*ldb+p0:][:kc]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := nrr; j < nr; j++ {
			for p := 0; p < kc; p++ {
				d[p*nr+j] = 0
			}
		}
	}
}
