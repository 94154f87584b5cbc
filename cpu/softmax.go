package cpu

// The engine's softmax over channel groups, vectorised along the pixels: for a block of
// pixels, the maximum over a group's channel rows (maxInto), e^(x − max) row by row in float32
// (expSubRow: Cephes' expf, as the AVX-512 kernels compute it), their sum in float64
// (addF64Row) and the rows scaled by its reciprocal rounded to float32 (SoftmaxChannels is the
// float64 reference; the two agree within 4 ulp, TestSoftmaxRows).

// smBlock is the number of pixels softmaxRows treats at once (its max and sum rows).
const smBlock = 256

// softmaxRows is SoftmaxChannels in float32 with the vector kernels; out may be in (each row
// is read for the maximum, then overwritten by its exponentials in place).
func softmaxRows(out, in []float32, c, heads, ldIn, ldOut, n int) {
	g := c / heads
	var mx, inv [smBlock]float32
	var sum [smBlock]float64
	for p0 := 0; p0 < n; p0 += smBlock {
		m := min(smBlock, n-p0)
		for h := range heads {
			rowIn := func(j int) []float32 { return in[(h*g+j)*ldIn+p0:][:m] }
			rowOut := func(j int) []float32 { return out[(h*g+j)*ldOut+p0:][:m] }
			copy(mx[:m], rowIn(0))
			for j := 1; j < g; j++ {
				maxInto(mx[:m], rowIn(j))
			}
			clear(sum[:m])
			for j := range g {
				expSubRow(rowOut(j), rowIn(j), mx[:m])
				addF64Row(sum[:m], rowOut(j))
			}
			for i := range m {
				inv[i] = float32(1 / sum[i])
			}
			for j := range g {
				mulRow(rowOut(j), rowOut(j), inv[:m])
			}
		}
	}
}

// expSubOne is e^(x − m) in float32: the difference clamped below at −104 (where e^t is 0 in
// float32; NaN kept), then expf.
func expSubOne(x, m float32) float32 {
	d := x - m
	if d < -104 {
		d = -104
	}
	return expf(d)
}

// expSubRowGo sets dst[i] = e^(src[i] − m[i]) for i < len(dst) (expSubOne).
func expSubRowGo(dst, src, m []float32) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, v := range src {
		dst[i] = expSubOne(v, m[i])
	}
}

// addF64RowGo sets dst[i] += float64(src[i]) for i < len(dst).
func addF64RowGo(dst []float64, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += float64(v)
	}
}
