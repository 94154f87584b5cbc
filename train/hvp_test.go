package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/data"
	"landscape/model"
)

// hvpNets are small networks that together use every op: conv with and without bias, 1×1
// stride-2 projections, batch norm over channels and features, ReLU, residual add, ceil-mode
// max pooling, global average pooling, linear layers on pooled and spatial inputs.
var hvpNets = []string{"resnet8-c2", "resnet8-c2-noshort", "vgg5-c2"}

func newHVP[T Float](t *testing.T, name string, images, chunk, workers int) *HVP[T] {
	t.Helper()
	cfg := model.Config{InC: 2, HW: 8, Classes: 3}
	n := buildNet(t, name, cfg)
	set := data.Synthetic(images, 2, 8, 8, 3, 5)
	h, err := NewHVP[T](n, model.Init(n, 3), set, chunk, workers)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func randVec(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// moveBy adds eps·v to θ in T (flipped kernels included), for finite differences.
func moveBy[T Float](h *HVP[T], v []float64, eps float64) {
	for i := range h.Params {
		for j := range h.w[i] {
			h.w[i][j] += T(eps * v[h.offset[i]+j])
		}
	}
	for i, op := range h.Model.Ops {
		if h.wflip[i] != nil {
			flipWeights(h.wflip[i], h.w[h.index[op.Weight]], h.Model.Geom(op))
		}
	}
}

func relErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / den)
}

// In float64, H·v equals the central difference of the gradient along v,
// (∇L(θ + εv) − ∇L(θ − εv))/2ε, for every parameter at once, over a data set split into
// chunks on two goroutines; the gradient itself equals the difference quotient of the loss.
func TestHVPFiniteDifferences(t *testing.T) {
	for _, name := range hvpNets {
		t.Run(name, func(t *testing.T) {
			h := newHVP[float64](t, name, 7, 3, 2)
			v := randVec(1, h.Dim())
			nv := norm2(v)
			for i := range v {
				v[i] /= nv // a unit step, small enough to cross no ReLU or max-pool kink
			}
			hv, g0 := make([]float64, h.Dim()), make([]float64, h.Dim())
			h.Apply(v, hv, g0)
			const eps = 1e-6
			gp, gm := make([]float64, h.Dim()), make([]float64, h.Dim())
			moveBy(h, v, eps)
			lp := h.Apply(nil, nil, gp)
			moveBy(h, v, -2*eps)
			lm := h.Apply(nil, nil, gm)
			moveBy(h, v, eps)
			fd := make([]float64, h.Dim())
			for i := range fd {
				fd[i] = (gp[i] - gm[i]) / (2 * eps)
			}
			if e := relErr(hv, fd); !(e < 1e-6) {
				t.Errorf("H·v vs finite differences: relative error %.3g", e)
			}
			var gv float64
			for i, g := range g0 {
				gv += g * v[i]
			}
			if fdL := (lp - lm) / (2 * eps); math.Abs(fdL-gv) > 1e-6*math.Abs(gv) {
				t.Errorf("∇L·v = %.10g, finite difference %.10g", gv, fdL)
			}
			if n := norm2(hv); n < 1e-3 {
				t.Errorf("‖H·v‖ = %g: nothing was computed", n)
			}
		})
	}
}

func norm2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// The Hessian is symmetric: u·(H·v) = v·(H·u) (in float64, to rounding), and the float32
// products equal the float64 ones to 1e-4 relative whatever the chunking and worker count.
func TestHVPSymmetricAndFloat32(t *testing.T) {
	for _, name := range hvpNets {
		t.Run(name, func(t *testing.T) {
			h := newHVP[float64](t, name, 9, 4, 2)
			u, v := randVec(3, h.Dim()), randVec(4, h.Dim())
			hu, hv := make([]float64, h.Dim()), make([]float64, h.Dim())
			l64 := h.Apply(u, hu, nil)
			h.Apply(v, hv, nil)
			var uhv, vhu float64
			for i := range u {
				uhv += u[i] * hv[i]
				vhu += v[i] * hu[i]
			}
			if math.Abs(uhv-vhu) > 1e-9*math.Abs(uhv) {
				t.Errorf("u·Hv = %.12g, v·Hu = %.12g", uhv, vhu)
			}
			for _, cw := range [][2]int{{4, 2}, {9, 1}, {1, 3}} {
				h32 := newHVP[float32](t, name, 9, cw[0], cw[1])
				hv32 := make([]float64, h.Dim())
				l32 := h32.Apply(v, hv32, nil)
				if e := relErr(hv32, hv); !(e < 1e-4) {
					t.Errorf("chunk %d, %d workers: float32 H·v relative error %.3g", cw[0], cw[1], e)
				}
				if math.Abs(l32-l64) > 1e-5*l64 {
					t.Errorf("float32 loss %g, float64 %g", l32, l64)
				}
			}
		})
	}
}
