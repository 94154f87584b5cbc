package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"landscape/model"
)

func buildNet(t *testing.T, name string, cfg model.Config) *model.Net {
	t.Helper()
	n, err := model.Build(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func batch(seed uint64, B, size, classes int) ([]float64, []int32) {
	r := rand.New(rand.NewPCG(seed, 1))
	x := randn(r, B*size)
	labels := make([]int32, B)
	for i := range labels {
		labels[i] = int32(r.IntN(classes))
	}
	return x, labels
}

// Whole networks in float64, split over two goroutines: the gradient of the mean
// cross-entropy of a batch (training-mode batch norm) against central finite differences, for
// a few coordinates of every parameter. Together the nets use every op: conv with and without
// bias, 1×1 stride-2 projections, batch norm over channels and over features, ReLU, residual
// add, ceil-mode max pooling, global average pooling and linear layers on pooled and on
// spatial inputs.
func TestNetGradients(t *testing.T) {
	cfg := model.Config{InC: 2, HW: 8, Classes: 3}
	for _, name := range []string{"resnet8-c2", "resnet8-c2-noshort", "vgg5-c2"} {
		t.Run(name, func(t *testing.T) {
			n := buildNet(t, name, cfg)
			net, err := NewNet[float64](n, model.Init(n, 3), 4, 2)
			if err != nil {
				t.Fatal(err)
			}
			x, labels := batch(7, 4, 2*8*8, 3)
			loss := func() float64 { l, _ := net.Forward(x, labels, false); return l / 4 }
			loss()
			net.Backward()
			r := rand.New(rand.NewPCG(8, 9))
			checked := 0
			for _, p := range net.Params {
				if p.Grad == nil {
					continue
				}
				for range 3 {
					i := r.IntN(len(p.Data))
					old := p.Data[i]
					p.Data[i] = old + fdStep
					lp := loss()
					p.Data[i] = old - fdStep
					lm := loss()
					p.Data[i] = old
					num := (lp - lm) / (2 * fdStep)
					if d := math.Abs(num - p.Grad[i]); d > 1e-6*math.Max(1e-2, math.Abs(num)) {
						t.Errorf("%s[%d]: backward %.9g, finite difference %.9g", p.Name, i, p.Grad[i], num)
					}
					checked++
				}
			}
			if checked < 20 {
				t.Errorf("only %d coordinates checked", checked)
			}
		})
	}
}

// The float32 network (gemm.Sgemm with strided and transposed operands, several goroutines,
// convolutions in chunks of two images) computes the same loss, gradients and running
// statistics as the float64 one on one goroutine, to float32 accuracy.
func TestFloat32MatchesFloat64(t *testing.T) {
	cfg := model.Config{InC: 3, HW: 9, Classes: 5}
	for _, name := range []string{"resnet8-c4", "vgg5-c4"} {
		t.Run(name, func(t *testing.T) {
			n := buildNet(t, name, cfg)
			w := model.Init(n, 5)
			n64, _ := NewNet[float64](n, w, 11, 1)
			n32, _ := NewNet[float32](n, w, 11, 3)
			for i := range n32.chunk {
				n32.chunk[i] = min(n32.chunk[i], 2)
			}
			x, labels := batch(3, 11, 3*9*9, 5)
			x32 := make([]float32, len(x))
			for i, v := range x {
				x32[i] = float32(v)
			}
			l64, c64 := n64.Forward(x, labels, true)
			l32, c32 := n32.Forward(x32, labels, true)
			if math.Abs(l64-l32) > 1e-5*l64 || c64 != c32 {
				t.Errorf("loss %v / %v, correct %d / %d", l32, l64, c32, c64)
			}
			n64.Backward()
			n32.Backward()
			for i, p := range n64.Params {
				q := n32.Params[i].Data
				a, b := p.Data, q
				if p.Grad != nil {
					a, b = p.Grad, n32.Params[i].Grad
				}
				var num, den float64
				for j := range a {
					num += (a[j] - float64(b[j])) * (a[j] - float64(b[j]))
					den += a[j] * a[j]
				}
				// (a conv bias before batch norm has a zero gradient: compare it absolutely)
				if rel := math.Sqrt(num / math.Max(den, 1e-6)); rel > 1e-4 {
					t.Errorf("%s: float32 differs from float64 by %.2g relative", p.Name, rel)
				}
			}
		})
	}
}
