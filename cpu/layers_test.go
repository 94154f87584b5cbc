package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/engine"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// naiveConv is the convolution straight from its definition, in float64.
func naiveConv(in, w, b, res []float32, relu bool, g ConvGeom) []float64 {
	out := make([]float64, g.Cout*g.OH*g.OW)
	for co := range g.Cout {
		for y := range g.OH {
			for x := range g.OW {
				s := float64(b[co])
				for ci := range g.Cin {
					for kh := range g.K {
						for kw := range g.K {
							iy, ix := y*g.Stride+kh-g.Pad, x*g.Stride+kw-g.Pad
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								s += float64(w[((co*g.Cin+ci)*g.K+kh)*g.K+kw]) * float64(in[(ci*g.H+iy)*g.W+ix])
							}
						}
					}
				}
				i := (co*g.OH+y)*g.OW + x
				if res != nil {
					s += float64(res[i])
				}
				if relu && s < 0 {
					s = 0
				}
				out[i] = s
			}
		}
	}
	return out
}

func TestConvAgainstDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	geoms := []ConvGeom{
		{Cin: 3, H: 9, W: 9, Cout: 5, K: 3, Stride: 1, Pad: 1},
		{Cin: 4, H: 8, W: 8, Cout: 6, K: 3, Stride: 2, Pad: 1},
		{Cin: 4, H: 7, W: 7, Cout: 3, K: 3, Stride: 2, Pad: 1},
		{Cin: 5, H: 8, W: 8, Cout: 7, K: 1, Stride: 2, Pad: 0},
		{Cin: 5, H: 6, W: 6, Cout: 2, K: 1, Stride: 1, Pad: 0},
		{Cin: 2, H: 5, W: 5, Cout: 2, K: 3, Stride: 1, Pad: 0},
	}
	for _, g := range geoms {
		g.OH, g.OW = (g.H+2*g.Pad-g.K)/g.Stride+1, (g.W+2*g.Pad-g.K)/g.Stride+1
		in, w, b := randSlice(r, g.Cin*g.H*g.W), randSlice(r, g.Cout*g.Cin*g.K*g.K), randSlice(r, g.Cout)
		res := randSlice(r, g.Cout*g.OH*g.OW)
		for _, withRes := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				rr := res
				if !withRes {
					rr = nil
				}
				out := make([]float32, g.Cout*g.OH*g.OW)
				Conv(out, in, w, b, rr, relu, g, make([]float32, g.ColSize()))
				want := naiveConv(in, w, b, rr, relu, g)
				for i := range want {
					if math.Abs(float64(out[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
						t.Fatalf("%+v res=%v relu=%v: out[%d] = %v, want %v", g, withRes, relu, i, out[i], want[i])
					}
				}
			}
		}
	}
}

func TestMaxPoolCeilModeAndNaN(t *testing.T) {
	// one 3x5 channel: ceil mode gives 2x3 windows, the last row/column partial
	in := []float32{
		1, 9, 2, 3, -4,
		5, 0, 8, 7, -1,
		-2, 6, 4, 11, -3,
	}
	out := make([]float32, 6)
	MaxPool(out, in, 1, 3, 5, 2)
	want := []float32{9, 8, -1, 6, 11, -3}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("maxpool %v, want %v", out, want)
		}
	}
	in[6] = float32(math.NaN())
	MaxPool(out, in, 1, 3, 5, 2)
	if !math.IsNaN(float64(out[0])) || out[1] != 8 {
		t.Errorf("NaN must propagate to its window only: %v", out)
	}
}

func TestGlobalAvgPoolAndLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	in := randSlice(r, 3*10)
	out := make([]float32, 3)
	GlobalAvgPool(out, in, 10)
	for c := range 3 {
		var s float64
		for i := range 10 {
			s += float64(in[c*10+i])
		}
		if math.Abs(float64(out[c])-s/10) > 1e-6 {
			t.Errorf("avg[%d] = %v, want %v", c, out[c], s/10)
		}
	}
	x, w, b := randSlice(r, 7), randSlice(r, 4*7), randSlice(r, 4)
	y := make([]float32, 4)
	Linear(y, x, w, b, true)
	for j := range 4 {
		s := float64(b[j])
		for i := range 7 {
			s += float64(w[j*7+i]) * float64(x[i])
		}
		s = math.Max(s, 0)
		if math.Abs(float64(y[j])-s) > 1e-5*(1+math.Abs(s)) {
			t.Errorf("linear[%d] = %v, want %v", j, y[j], s)
		}
	}
}

func TestCrossEntropy(t *testing.T) {
	z := []float32{1, 3, -2, 3}
	l, ok := engine.CrossEntropy(z, 1)
	want := math.Log(math.Exp(1)+2*math.Exp(3)+math.Exp(-2)) - 3
	if math.Abs(l-want) > 1e-12 || !ok {
		t.Errorf("CE %v %v, want %v true (first maximum wins)", l, ok, want)
	}
	if _, ok := engine.CrossEntropy(z, 3); ok {
		t.Error("a tie goes to the first index, as torch.max")
	}
	// large logits do not overflow
	if l, _ := engine.CrossEntropy([]float32{1000, 0}, 1); math.Abs(l-1000) > 1e-9 {
		t.Errorf("CE of large logits %v", l)
	}
	nan := []float32{0, float32(math.NaN()), 1}
	if l, ok := engine.CrossEntropy(nan, 1); !math.IsNaN(l) || !ok {
		t.Errorf("NaN logits: %v %v, want NaN and the NaN's index as prediction", l, ok)
	}
}
