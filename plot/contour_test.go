package plot

import (
	"math"
	"testing"
)

// TestIsolines traces a level of a cone: one closed loop at the right radius.
func TestIsolines(t *testing.T) {
	n := 41
	g := &grid{x: linspace(-1, 1, n), y: linspace(-1, 1, n), z: make([]float64, n*n)}
	for i := range n {
		for j := range n {
			g.z[i*n+j] = math.Hypot(g.x[i], g.y[j])
		}
	}
	lines := isolines(g, 0.5)
	if len(lines) != 1 {
		t.Fatalf("%d polylines, want 1", len(lines))
	}
	l := lines[0]
	if l[0] != l[len(l)-1] || len(l) < 20 {
		t.Fatalf("loop of %d points is not closed: %v .. %v", len(l), l[0], l[len(l)-1])
	}
	for _, p := range l {
		if r := math.Hypot(p.x, p.y); math.Abs(r-0.5) > 0.01 {
			t.Fatalf("point %v at radius %v, want 0.5", p, r)
		}
	}
	// Masking a node on the circle opens the loop into one line.
	g.z[30*n+20] = math.NaN() // (0.5, 0)
	if lines := isolines(g, 0.5); len(lines) != 1 || lines[0][0] == lines[0][len(lines[0])-1] {
		t.Fatalf("with a masked node: %d lines, want 1 open line", len(lines))
	}
}

func TestLevels(t *testing.T) {
	o := Options{}.withDefaults()
	ls := o.levels()
	if len(ls) != 20 || ls[0] != 0.1 || math.Abs(ls[19]-9.6) > 1e-12 {
		t.Fatalf("default levels %v, want arange(0.1, 10, 0.5)", ls)
	}
	o = Options{Log: true}.withDefaults()
	ls = o.levels()
	if len(ls) != 20 || math.Abs(ls[0]+1) > 1e-12 || math.Abs(ls[10]) > 1e-12 || o.levelLabel(ls[10]) != "1" {
		t.Fatalf("log levels %v", ls)
	}
}

func TestOptionDefaults(t *testing.T) {
	for _, c := range []struct{ in, want Options }{
		{Options{}, Options{VMin: 0.1, VMax: 10, VLevel: 0.5, LossMax: 5}},
		{Options{VMax: 5}, Options{VMin: 0, VMax: 5, VLevel: 0.5, LossMax: 5}},
		{Options{VMin: 1}, Options{VMin: 1, VMax: 10, VLevel: 0.5, LossMax: 5}},
		{Options{VMin: 3, VMax: 2, VLevel: -1}, Options{VMin: 0.1, VMax: 10, VLevel: 0.5, LossMax: 5}},
		{Options{VMax: 5, Log: true}, Options{VMin: 0.005, VMax: 5, VLevel: 0.5, LossMax: 5, Log: true}},
	} {
		if got := c.in.withDefaults(); got != c.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", c.in, got, c.want)
		}
	}
	if got := maskNote([]float64{1, math.NaN(), math.Inf(1)}, []float64{math.NaN(), math.NaN(), 1}); got != "(2 NaN, 1 Inf points masked)" {
		t.Errorf("maskNote: %q", got)
	}
}

func TestNiceTicks(t *testing.T) {
	var labels []string
	for _, tk := range majorTicks(-1, 1, 5) {
		labels = append(labels, tk.Label)
	}
	if got := len(labels); got != 5 || labels[0] != "-1.0" || labels[2] != "0" || labels[4] != "1.0" {
		t.Fatalf("ticks for [-1, 1]: %v", labels)
	}
}
