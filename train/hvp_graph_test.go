package train

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/data"
	"landscape/internal/enginetest"
	"landscape/model"
)

// graphNets writes the engine suite's ONNX test graphs (enginetest.GraphCases, ExtGraphCases
// ViTGraphCases and SwinGraphCases) and loads them with their own weights: together they hold
// every op kind of an imported graph (attention batch-first and sequence-first too, and Swin's
// windowed forms: products per window, zero-padding pixel maps, a relative position bias
// gathered by index, a constant mask per element), convolutions with rectangular, dilated, strided, grouped and depthwise
// windows and [in, out] weights, window pools, and MatMul classifiers.
func graphNets(t *testing.T) map[string]struct {
	n *model.Net
	w *model.Weights
} {
	t.Helper()
	dir := t.TempDir()
	cases, err := enginetest.GraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := enginetest.ExtGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	vit, err := enginetest.ViTGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	swin, err := enginetest.SwinGraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	ext = append(append(ext, vit...), swin...)
	b, out := pixelGraph()
	pixel := filepath.Join(dir, "pixel.onnx")
	if err := b.Write(pixel, out, 4); err != nil {
		t.Fatal(err)
	}
	nets := map[string]struct {
		n *model.Net
		w *model.Weights
	}{}
	for _, c := range append(append(cases, ext...), enginetest.Case{Model: pixel}) {
		name := strings.TrimSuffix(filepath.Base(c.Model), ".onnx")
		if _, ok := nets[name]; ok {
			continue
		}
		n, w, err := model.LoadONNX(c.Model, "")
		if err != nil {
			t.Fatal(err)
		}
		nets[name] = struct {
			n *model.Net
			w *model.Weights
		}{n, w}
	}
	return nets
}

// pixelGraph: a MatMul by an [in, out] weight on NHWC activations (a 1×1 convolution with a
// transposed weight) with a bias, division by a per-channel parameter, a scalar parameter minus
// the activation, and a per-channel parameter divided by the activation, on 3×6×5.
func pixelGraph() (*enginetest.GraphBuilder, string) {
	b := enginetest.NewGraph(-1, 3, 6, 5)
	x := b.Node("Conv", []string{"input", b.Init("c.weight", false, 6, 3, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	x = b.Node("Transpose", []string{x}, enginetest.AInts("perm", 0, 2, 3, 1))
	x = b.Node("Add", []string{b.Node("MatMul", []string{x, b.Init("pix.weight", false, 6, 5)}), b.Init("pix.bias", false, 5)})
	x = b.Node("Transpose", []string{x}, enginetest.AInts("perm", 0, 3, 1, 2))
	x = b.Node("Div", []string{x, b.Init("div", true, 5, 1, 1)})
	x = b.Node("Sub", []string{b.Init("off", false, 1), x})
	x = b.Node("Add", []string{b.Node("Sigmoid", []string{x}), b.Scalar(0.5)})
	x = b.Node("Div", []string{b.Init("num", true, 5, 1, 1), x})
	x = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{x})})
	return b, b.Node("MatMul", []string{x, b.Init("fc.weight_t", false, 5, 4)})
}

// TestHVPGraphsCoverEveryOp: the graphs of TestHVPGraphFiniteDifferences use every op kind and
// every convolution form the products have a path for.
func TestHVPGraphsCoverEveryOp(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range graphNets(t) {
		for _, op := range g.n.Ops {
			seen[op.Kind.String()] = true
			switch {
			case op.Kind == model.OpConv && op.Groups > 1 && op.Groups == g.n.Slots[op.In][0]:
				seen["depthwise"] = true
			case op.Kind == model.OpConv && op.Groups > 1:
				seen["grouped"] = true
			case op.Kind == model.OpConv && op.Win.DH > 1:
				seen["dilated"] = true
			case op.Kind == model.OpConv && op.TransW:
				seen["conv [in, out]"] = true
			case op.Kind == model.OpLinear && op.TransW:
				seen["linear [in, out]"] = true
			case op.Kind == model.OpMaxPool && op.Win.KH > 0:
				seen["maxpool window"] = true
			case op.Kind == model.OpArith && op.Perm != nil:
				seen["arith parameter gathered by index"] = true
			case op.Kind == model.OpArith && op.Weight == "" && len(op.Const) > g.n.Slots[op.In][0]:
				seen["arith constant per element"] = true
			case op.Kind == model.OpMatMul && op.Windows > 1:
				seen["matmul windows"] = true
			case op.Kind == model.OpPixels && slices.Contains(op.Perm, -1):
				seen["pixels zero padding"] = true
			case op.Kind == model.OpArith && op.Weight != "" && g.n.Spec(op.Weight) != nil && model.Numel(g.n.Spec(op.Weight).Shape) > g.n.Slots[op.In][0]:
				seen["arith parameter per element"] = true
			case op.Kind == model.OpArith && op.Weight != "":
				seen["arith parameter "+arithName(op.Arith, op.Rev)] = true
			case op.Kind == model.OpMatMul && op.TransA:
				seen["matmul transposed"] = true
			}
		}
	}
	want := []string{"depthwise", "grouped", "dilated", "conv [in, out]", "linear [in, out]", "maxpool window",
		"arith parameter x + v", "arith parameter x * v", "arith parameter x / v", "arith parameter v - x", "arith parameter v / x",
		"arith parameter per element", "matmul transposed", "arith parameter gathered by index", "arith constant per element",
		"matmul windows", "pixels zero padding"}
	for k := range hvpOps {
		want = append(want, k.String())
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("no test graph has a %s layer", k)
		}
	}
}

// In float64, on every test graph, H·v equals the central difference of the gradient along a
// unit v to 1e-6 relative, the gradient equals the difference quotient of the loss, the
// Hessian is symmetric (u·Hv = v·Hu) and the float32 products equal the float64 ones to 1e-4
// whatever the chunking.
func TestHVPGraphFiniteDifferences(t *testing.T) {
	for name, g := range graphNets(t) {
		t.Run(name, func(t *testing.T) {
			in := g.n.Input()
			set := data.Synthetic(5, in[0], in[1], in[2], min(g.n.Classes, 4), 7)
			h, err := NewHVP[float64](g.n, g.w, set, 2, 2)
			if err != nil {
				t.Fatal(err)
			}
			v, u := randVec(5, h.Dim()), randVec(6, h.Dim())
			nv := norm2(v)
			for i := range v {
				v[i] /= nv
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
			if gv, fdL := dot(g0, v), (lp-lm)/(2*eps); math.Abs(fdL-gv) > 1e-6*math.Abs(gv) {
				t.Errorf("∇L·v = %.10g, finite difference %.10g", gv, fdL)
			}
			if n := norm2(hv); n < 1e-4 {
				t.Errorf("‖H·v‖ = %g: nothing was computed", n)
			}
			hu := make([]float64, h.Dim())
			h.Apply(u, hu, nil)
			if a, b := dot(u, hv), dot(v, hu); math.Abs(a-b) > 1e-9*math.Abs(a) {
				t.Errorf("u·Hv = %.12g, v·Hu = %.12g", a, b)
			}
			h32, err := NewHVP[float32](g.n, g.w, set, 3, 1)
			if err != nil {
				t.Fatal(err)
			}
			hv32 := make([]float64, h.Dim())
			h32.Apply(v, hv32, nil)
			if e := relErr(hv32, hv); !(e < 1e-4) {
				t.Errorf("float32 H·v relative error %.3g", e)
			}
		})
	}
}

// The first and second derivatives of every activation and arithmetic form equal central
// differences of f and f′ (away from the kinks of the piecewise ones).
func TestPointwisePartials(t *testing.T) {
	xs := []float64{-4.1, -2.3, -0.7, -0.05, 0.3, 1.2, 2.9, 3.7}
	const h = 1e-5
	check := func(name string, x float64, at func(x, v float64) partials, v float64) {
		d := at(x, v)
		fdx := (at(x+h, v).f - at(x-h, v).f) / (2 * h)
		fdv := (at(x, v+h).f - at(x, v-h).f) / (2 * h)
		fdxx := (at(x+h, v).fx - at(x-h, v).fx) / (2 * h)
		fdxv := (at(x, v+h).fx - at(x, v-h).fx) / (2 * h)
		fdvv := (at(x, v+h).fv - at(x, v-h).fv) / (2 * h)
		for _, c := range [][3]float64{{d.fx, fdx, 'x'}, {d.fv, fdv, 'v'}, {d.fxx, fdxx, 'X'}, {d.fxv, fdxv, 'm'}, {d.fvv, fdvv, 'V'}} {
			if math.Abs(c[0]-c[1]) > 1e-6*(1+math.Abs(c[1])) {
				t.Errorf("%s at x %g, v %g: derivative %c %.9g, finite difference %.9g", name, x, v, rune(c[2]), c[0], c[1])
			}
		}
	}
	for _, op := range []model.Op{{Kind: model.OpClip, Lo: 0, Hi: 2}, {Kind: model.OpLeakyReLU, Alpha: 0.1}, {Kind: model.OpSigmoid},
		{Kind: model.OpTanh}, {Kind: model.OpHardSigmoid, Alpha: 0.3, Beta: 0.4}, {Kind: model.OpHardSwish}, {Kind: model.OpSiLU},
		{Kind: model.OpGELU}, {Kind: model.OpGELUTanh}} {
		for _, x := range xs {
			check(op.Kind.String(), x, func(x, _ float64) partials { return activationPartials(&op, x) }, 0)
		}
	}
	for _, ar := range []byte("+-*/") {
		for _, rev := range []bool{false, true} {
			op := model.Op{Kind: model.OpArith, Arith: ar, Rev: rev}
			for _, x := range xs {
				check(arithName(ar, rev), x, func(x, v float64) partials { return arithPartials(&op, x, v) }, 1.7)
			}
		}
	}
}

func arithName(ar byte, rev bool) string {
	if rev {
		return "v " + string(ar) + " x"
	}
	return "x " + string(ar) + " v"
}

// A network with an op kind the products do not know (here: softmax, struck from hvpOps as a
// kind added to model later would be missing) is refused, naming the op.
func TestHVPRefusesUnknownOps(t *testing.T) {
	vit, err := enginetest.ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vn, vw, err := model.LoadONNX(vit[0].Model, "")
	if err != nil {
		t.Fatal(err)
	}
	first := slices.IndexFunc(vn.Ops, func(op model.Op) bool { return op.Kind == model.OpSoftmax })
	delete(hvpOps, model.OpSoftmax)
	defer func() { hvpOps[model.OpSoftmax] = true }()
	in := vn.Slots[0]
	_, err = NewHVP[float32](vn, vw, data.Synthetic(2, in[0], in[1], in[2], vn.Classes, 1), 2, 1)
	if want := fmt.Sprintf("op %d (softmax) has no Hessian-vector product", first); first < 0 || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}
