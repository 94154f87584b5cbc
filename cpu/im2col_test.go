package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

// TestIm2colWindows compares im2col with the definition, element by element, and col2im with
// its adjoint identity ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩, on windows that take each path:
// same-size shifts (square, rectangular, dilated), strided and dilated gathers, asymmetric and
// oversized padding, for two images of three channels read at channel stride ldIn.
func TestIm2colWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		h, w int
		win  model.Window
	}{
		{5, 6, model.Window{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}},
		{7, 5, model.Window{KH: 1, KW: 7, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 0, PadL: 3, PadB: 0, PadR: 3}},
		{7, 7, model.Window{KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, PadT: 2, PadL: 2, PadB: 2, PadR: 2}},
		{9, 8, model.Window{KH: 3, KW: 2, SH: 2, SW: 3, DH: 1, DW: 2, PadT: 1, PadL: 0, PadB: 2, PadR: 1}},
		{4, 3, model.Window{KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 3, PadL: 4, PadB: 0, PadR: 1}},
		{6, 6, model.Window{KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1}},
	} {
		oh, ow := c.win.OutSize(c.h, c.w)
		g := colGeom{C: 3, H: c.h, W: c.w, OH: oh, OW: ow, Window: c.win}
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			const nb = 2
			op, hw := oh*ow, c.h*c.w
			ldIn := nb*hw + 5
			ldCol := nb*op + 3
			rows := g.C * g.KH * g.KW
			in := make([]float64, g.C*ldIn)
			for i := range in {
				in[i] = rng.Float64()
			}
			col := make([]float64, rows*ldCol)
			for i := range col {
				col[i] = -1 // overwritten everywhere it should be
			}
			im2col(col, ldCol, in, ldIn, nb, g)
			y := make([]float64, len(col))
			var lhs float64
			for ci := range g.C {
				for kh := range g.KH {
					for kw := range g.KW {
						r := (ci*g.KH+kh)*g.KW + kw
						for i := range nb {
							for oy := range oh {
								for ox := range ow {
									iy, ix := oy*g.SH+kh*g.DH-g.PadT, ox*g.SW+kw*g.DW-g.PadL
									want := 0.0
									if iy >= 0 && iy < c.h && ix >= 0 && ix < c.w {
										want = in[ci*ldIn+i*hw+iy*c.w+ix]
									}
									j := r*ldCol + i*op + oy*ow + ox
									if col[j] != want {
										t.Fatalf("row (%d,%d,%d) image %d (%d,%d) = %v, want %v", ci, kh, kw, i, oy, ox, col[j], want)
									}
									y[j] = rng.Float64()
									lhs += col[j] * y[j]
								}
							}
						}
					}
				}
			}
			dIn := make([]float64, len(in))
			col2im(dIn, ldIn, y, ldCol, nb, g)
			var rhs float64
			for i := range in {
				rhs += in[i] * dIn[i]
			}
			if d := lhs - rhs; d > 1e-9*lhs || d < -1e-9*lhs {
				t.Errorf("⟨im2col(x), y⟩ = %v, ⟨x, col2im(y)⟩ = %v", lhs, rhs)
			}
		})
	}
}
