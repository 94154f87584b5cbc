package gpu

import (
	"math"
	"testing"

	"landscape/cpu"
	"landscape/data"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// TestFoldTableMatchesCPU checks the fold table and offsets: folding on the host by the table,
// with the kernel's arithmetic, gives the CPU engine's folded weights bit for bit.
func TestFoldTableMatchesCPU(t *testing.T) {
	for _, c := range enginetest.Cases {
		p, err := enginetest.Setup(c, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, fast := range []bool{false, true} {
			l, err := newLayout(p, fast)
			if err != nil {
				t.Fatal(err)
			}
			if l.Folded%4 != 0 {
				t.Fatalf("%s: folded vector of %d floats: weight sets not 16-byte aligned", c.Model, l.Folded)
			}
			theta, dx, dy := l.RawVector(p.Base), l.RawVector(p.DX), l.RawVector(p.DY)
			for _, pt := range enginetest.Points {
				got := l.FoldOnHost(theta, dx, dy, float32(pt.A), float32(pt.B))
				w, b := enginetest.Folded(p, pt)
				for i, ll := range l.Layers {
					if ll.WOut < 0 {
						continue
					}
					if ll.WOut%4 != 0 || ll.TapMajor != (fast && ll.Geom.Cin%4 == 0) {
						t.Fatalf("%s layer %d: W' at %d, tap-major %v", c.Model, i, ll.WOut, ll.TapMajor)
					}
					for j, v := range w[i] {
						if g := got[ll.WOut+ll.WIndex(j)]; math.Float32bits(g) != math.Float32bits(v) {
							t.Fatalf("%s %v layer %d (tap-major %v): W'[%d] = %g, CPU %g", c.Model, pt, i, ll.TapMajor, j, g, v)
						}
					}
					for j, v := range b[i] {
						if g := got[ll.BOut+j]; math.Float32bits(g) != math.Float32bits(v) {
							t.Fatalf("%s %v layer %d: b'[%d] = %g, CPU %g", c.Model, pt, i, j, g, v)
						}
					}
				}
			}
		}
	}
}

// TestTapsMatchIm2col gathers with the tap table as the conv kernels do and compares with
// cpu.Im2col for every geometry of the zoo (3x3 and 1x1, strides 1 and 2, odd sizes).
func TestTapsMatchIm2col(t *testing.T) {
	for _, g := range []model.ConvGeom{
		{Cin: 3, H: 7, W: 6, Cout: 4, OH: 7, OW: 6, K: 3, Stride: 1, Pad: 1},
		{Cin: 2, H: 9, W: 7, Cout: 4, OH: 5, OW: 4, K: 3, Stride: 2, Pad: 1},
		{Cin: 5, H: 9, W: 7, Cout: 4, OH: 5, OW: 4, K: 1, Stride: 2, Pad: 0},
	} {
		in := make([]float32, g.Cin*g.H*g.W)
		for i := range in {
			in[i] = float32(i + 1)
		}
		want := make([]float32, g.ColSize())
		cpu.Im2col(want, in, g, 1, 0, 1)
		taps := Taps(g)
		n := g.OH * g.OW
		for r := range g.R() {
			for p := range n {
				ih0, iw0 := p/g.OW*g.Stride-g.Pad, p%g.OW*g.Stride-g.Pad
				ih, iw := ih0+int(taps[2*r+1]>>16), iw0+int(taps[2*r+1]&0xffff)
				var v float32
				if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
					v = in[ih0*g.W+iw0+int(taps[2*r])]
				}
				if v != want[r*n+p] {
					t.Fatalf("%+v: X[%d][%d] = %g, im2col %g", g, r, p, v, want[r*n+p])
				}
			}
		}
	}
}

func TestCapacity(t *testing.T) {
	n, _ := model.Build("resnet56", model.Config{InC: 3, HW: 32, Classes: 10})
	p := &engine.Problem{Net: n, Base: model.Init(n, 1)}
	var err error
	if p.Plan, err = model.Compile(n); err != nil {
		t.Fatal(err)
	}
	p.Data = data.Synthetic(2000, 3, 32, 32, 10, 1)
	l, err := newLayout(p, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		free       int64
		wantPoints int
		wantImages int
	}{
		{80 << 30, 64, 1024}, {4 << 30, 0, 1024}, {400 << 20, 1, 0}, {100 << 20, 0, 0},
	} {
		k, b := l.Capacity(p, c.free)
		if c.wantPoints > 0 && k != c.wantPoints || c.wantImages > 0 && b != c.wantImages || c.free == 100<<20 && (k != 0 || b != 0) {
			t.Errorf("free %d MiB: capacity (%d, %d)", c.free>>20, k, b)
		}
		if k > 0 && l.Bytes(p, k, b) > c.free*8/10 {
			t.Errorf("free %d MiB: (%d, %d) needs %d MiB", c.free>>20, k, b, l.Bytes(p, k, b)>>20)
		}
	}
}
