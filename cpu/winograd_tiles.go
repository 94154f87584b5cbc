package cpu

// winoTile is a tile of the batch: image b, tile row ty, column tx.
type winoTile struct{ b, ty, tx int }

// tileAt returns tile t of the batch (tile t of image t / tiles, in row-major order within it).
func (g winoGeom) tileAt(t int) winoTile {
	r := t % g.tiles()
	return winoTile{b: t / g.tiles(), ty: r / g.tw, tx: r % g.tw}
}

// next moves p to the batch's next tile.
func (g winoGeom) next(p *winoTile) {
	if p.tx++; p.tx == g.tw {
		if p.tx, p.ty = 0, p.ty+1; p.ty == g.th {
			p.ty, p.b = 0, p.b+1
		}
	}
}

// winoPatch loads the 6×6 input patch at (y0, x0) of an image plane (h × w, row-major), zero
// outside the image.
func winoPatch(d *[winoXi]float32, plane []float32, g winoGeom, y0, x0 int) {
	xlo, xhi := max(0, -x0), min(winoAlpha, g.w-x0)
	for i := range winoAlpha {
		row := d[i*winoAlpha:][:winoAlpha]
		y := y0 + i
		if y < 0 || y >= g.h {
			clear(row)
			continue
		}
		if xlo == 0 && xhi == winoAlpha { // (copy's call costs more than the 6 moves)
			r := plane[y*g.w+x0:][:winoAlpha]
			row[0], row[1], row[2], row[3], row[4], row[5] = r[0], r[1], r[2], r[3], r[4], r[5]
			continue
		}
		base := y*g.w + x0
		for j := range row {
			if j >= xlo && j < xhi {
				row[j] = plane[base+j]
			} else {
				row[j] = 0
			}
		}
	}
}

// winoInputs writes the transformed input tiles t0..t0+nt-1 of the batch (tileAt) of channels
// 0..cin-1 (channel ci of image b at in[ci·ldIn + b·h·w]): v[(ξ·cin + ci)·nt + t − t0] =
// (Bᵀ d B)_ξ, d the tile's 6×6 input patch (padding 1).
func winoInputs(v, in []float32, ldIn, cin int, g winoGeom, t0, nt int) {
	hw := g.h * g.w
	s := cin * nt // between positions ξ
	var d, e [winoXi]float32
	for ci := range cin {
		p := g.tileAt(t0)
		for t := range nt {
			winoPatch(&d, in[ci*ldIn+p.b*hw:][:hw], g, p.ty*winoM-1, p.tx*winoM-1)
			g.next(&p)
			for j := range winoAlpha { // columns: e = Bᵀ d
				e[j], e[6+j], e[12+j], e[18+j], e[24+j], e[30+j] = winoIn(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
			}
			o := v[ci*nt+t:]
			for i := range winoAlpha { // rows: (Bᵀ d) B
				x := e[i*winoAlpha:][:winoAlpha]
				y0, y1, y2, y3, y4, y5 := winoIn(x[0], x[1], x[2], x[3], x[4], x[5])
				k := i * winoAlpha * s
				o[k], o[k+s], o[k+2*s], o[k+3*s], o[k+4*s], o[k+5*s] = y0, y1, y2, y3, y4, y5
			}
		}
	}
}

// winoOutputs transforms the products of tiles t0..t0+nt-1 back (m[(ξ·cout + co)·nt + t − t0]
// = M_ξ of tile t) and stores each output tile Aᵀ M A into out (channel co of image b at
// co·ldOut + b·h·w), cut at the image's edge.
func winoOutputs(out, m []float32, ldOut, cout int, g winoGeom, t0, nt int) {
	hw := g.h * g.w
	s := cout * nt // between positions ξ
	var e [winoM * winoAlpha]float32
	for co := range cout {
		p := g.tileAt(t0)
		for t := range nt {
			x := m[co*nt+t:]
			for j := range winoAlpha { // columns: e = Aᵀ M
				e[j], e[6+j], e[12+j], e[18+j] = winoOut(x[j*s], x[(6+j)*s], x[(12+j)*s], x[(18+j)*s], x[(24+j)*s], x[(30+j)*s])
			}
			y0, x0 := p.ty*winoM, p.tx*winoM
			plane := out[co*ldOut+p.b*hw:][:hw]
			g.next(&p)
			rows, cols := min(winoM, g.h-y0), min(winoM, g.w-x0)
			for i := range rows { // rows: (Aᵀ M) A
				q := e[i*winoAlpha:][:winoAlpha]
				var y [winoM]float32
				y[0], y[1], y[2], y[3] = winoOut(q[0], q[1], q[2], q[3], q[4], q[5])
				r := plane[(y0+i)*g.w+x0:][:cols]
				if cols == winoM {
					r[0], r[1], r[2], r[3] = y[0], y[1], y[2], y[3]
				} else {
					copy(r, y[:])
				}
			}
		}
	}
}

// winoEpilogue applies gemm.Fused's epilogue to a row of output: x = ReLU?(x + (bias + res))
// (res nil: bias alone; ReLU keeps NaN).
func winoEpilogue(row []float32, bias float32, res []float32, relu bool) {
	if res == nil {
		for j, x := range row {
			if x += bias; relu && x < 0 {
				x = 0
			}
			row[j] = x
		}
		return
	}
	res = res[:len(row)]
	for j, x := range row {
		if x += bias + res[j]; relu && x < 0 {
			x = 0
		}
		row[j] = x
	}
}
