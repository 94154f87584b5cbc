package cpu

import "landscape/cpu/gemm"

// winoProduct computes the elementwise stage of a chunk of nt Winograd tiles: for each of the
// 36 positions ξ, m_ξ = u_ξ · v_ξ with u_ξ = u[ξ·cout·cin:] (cout × cin, row-major), v_ξ =
// v[ξ·cin·nt:] (cin × nt) and m_ξ = m[ξ·cout·nt:] (cout × nt). Sums run over ci in order,
// in float32, by blocks of winoBR × winoBC outputs (winoKernel).
func winoProduct(m, u, v []float32, cout, cin, nt int) {
	for xi := range winoXi {
		a := u[xi*cout*cin:][:cout*cin]
		b := v[xi*cin*nt:][:cin*nt]
		c := m[xi*cout*nt:][:cout*nt]
		co := 0
		for ; co+winoBR <= cout; co += winoBR {
			t := 0
			for ; t+winoBC <= nt; t += winoBC {
				winoKernel(c[co*nt+t:], a[co*cin:], b[t:], cin, nt)
			}
			for ; t < nt; t++ {
				for i := co; i < co+winoBR; i++ {
					c[i*nt+t] = winoDot(a[i*cin:][:cin], b[t:], nt)
				}
			}
		}
		for ; co < cout; co++ {
			for t := range nt {
				c[co*nt+t] = winoDot(a[co*cin:][:cin], b[t:], nt)
			}
		}
	}
}

// winoDot is Σ_ci a[ci]·b[ci·ld].
func winoDot(a, b []float32, ld int) float32 {
	var s float32
	for ci, x := range a {
		s += x * b[ci*ld]
	}
	return s
}

// winoProducts computes the elementwise stage of a chunk of nt tiles as winoProduct does,
// through the engine's gemm kernels where they are not the portable Go twin (36 products of
// cout × cin by cin × nt).
func (e *Engine) winoProducts(m, u, v []float32, cout, cin, nt int) {
	if gemm.KernelName() == "portable" {
		winoProduct(m, u, v, cout, cin, nt)
		return
	}
	for xi := range winoXi {
		e.ws.Sgemm(false, false, cout, nt, cin, 1, u[xi*cout*cin:][:cout*cin], cin, v[xi*cin*nt:][:cin*nt], nt, 0, m[xi*cout*nt:][:cout*nt], nt)
	}
}
