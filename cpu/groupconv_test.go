package cpu

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"landscape/cpu/gemm"
	"landscape/internal/enginetest"
	"landscape/model"
)

// groupCase is a grouped convolution to test: cin → cout channels in g groups, a k×k window
// with stride s, padding pad and dilation dil on an h×w input, then ReLU and a residual (the
// input, when the shapes match) where set.
type groupCase struct {
	cin, cout, g, k, s, pad, dil, h, w int
	relu, res, clip                    bool     // clip: ReLU6, a fused activation (HasAct)
	kind                               stepKind // the geometry the engine should choose
}

// groupGraph writes a graph of one grouped convolution (with its bias), optionally ReLU and
// the input added, then a global pool and a Gemm, and returns its path.
func groupGraph(dir string, c groupCase) (string, error) {
	b := enginetest.NewGraph(-1, c.cin, c.h, c.w)
	p, s, d := int64(c.pad), int64(c.s), int64(c.dil)
	y := b.Node("Conv", []string{"input", b.Init("g.weight", false, c.cout, c.cin/c.g, c.k, c.k), b.Init("g.bias", false, c.cout)},
		enginetest.AInt("group", int64(c.g)), enginetest.AInts("pads", p, p, p, p), enginetest.AInts("strides", s, s), enginetest.AInts("dilations", d, d))
	if c.res {
		y = b.Node("Add", []string{y, "input"})
	}
	if c.relu {
		y = b.Node("Relu", []string{y})
	}
	if c.clip {
		y = b.Node("Clip", []string{y, b.Scalar(0), b.Scalar(6)})
	}
	y = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{y})})
	out := b.Node("Gemm", []string{y, b.Init("fc.weight", false, 10, c.cout), b.Init("fc.bias", false, 10)}, enginetest.AInt("transB", 1))
	path := filepath.Join(dir, fmt.Sprintf("group%d_dil%d_pad%d_s%d_%d_%d.onnx", c.g, c.dil, c.pad, c.s, c.cin, c.cout))
	return path, b.Write(path, out, 10)
}

// TestGroupProducts checks grouped convolutions computed as gemm products per group
// (groupconv.go), and dilated ones on shifted rows where they keep their input's size
// (shiftwin.go; else im2col), against GroupConv, the direct loop, on the same input and folded weights (in
// bfloat16 both rounded, for each implementation): groups 2, 4 and 32, channels per group not
// multiples of 8 (products over several groups with zero blocks) and multiples, stride 1
// (shifted rows), stride 2 (phase planes), padding 0, dilation 2 and 1×1 windows (im2col), a
// fused ReLU and residual, a full and a partial batch. Each output must lie within 2e−6 of the
// sum of its terms' magnitudes of the loop's (only the summation order differs), and the rows
// past Cout of the output's padding stay as the loop leaves them.
func TestGroupProducts(t *testing.T) {
	saved := gemm.BF16KernelName()
	defer func() {
		if !gemm.SetBF16Impl(saved) {
			gemm.SetBF16Impl("")
		}
	}()
	precisions := []string{"fp32"}
	for _, impl := range bf16Impls() {
		precisions = append(precisions, "bf16:"+impl)
	}
	cases := []groupCase{
		{cin: 6, cout: 10, g: 2, k: 3, s: 1, pad: 1, dil: 1, h: 9, w: 7, relu: true, kind: convShift},
		{cin: 12, cout: 12, g: 4, k: 3, s: 2, pad: 1, dil: 1, h: 10, w: 12, res: false, kind: convPhase},
		{cin: 128, cout: 128, g: 32, k: 3, s: 1, pad: 1, dil: 1, h: 6, w: 5, relu: true, res: true, kind: convShift},
		{cin: 64, cout: 64, g: 32, k: 3, s: 2, pad: 1, dil: 1, h: 8, w: 8, relu: true, kind: convPhase},
		{cin: 24, cout: 20, g: 4, k: 3, s: 1, pad: 1, dil: 1, h: 7, w: 9, clip: true, kind: convShift},
		{cin: 20, cout: 24, g: 4, k: 3, s: 2, pad: 0, dil: 1, h: 9, w: 9, kind: convCol},
		{cin: 6, cout: 16, g: 2, k: 3, s: 1, pad: 2, dil: 2, h: 8, w: 6, relu: true, kind: convShift},
		{cin: 6, cout: 16, g: 2, k: 3, s: 1, pad: 1, dil: 2, h: 8, w: 6, kind: convCol},
		{cin: 5, cout: 7, g: 1, k: 3, s: 1, pad: 2, dil: 2, h: 7, w: 9, relu: true, kind: convShift},
		{cin: 5, cout: 5, g: 1, k: 3, s: 1, pad: 3, dil: 3, h: 11, w: 10, res: true, kind: convShift},
		{cin: 4, cout: 9, g: 1, k: 5, s: 1, pad: 4, dil: 2, h: 6, w: 6, kind: convShift},
		{cin: 5, cout: 8, g: 1, k: 3, s: 2, pad: 2, dil: 2, h: 10, w: 10, kind: convCol},
		{cin: 32, cout: 64, g: 4, k: 3, s: 1, pad: 1, dil: 1, h: 5, w: 5, kind: convShift},
		{cin: 8, cout: 16, g: 4, k: 1, s: 1, pad: 0, dil: 1, h: 4, w: 6, kind: convShift},
	}
	dir := t.TempDir()
	for ci, c := range cases {
		path, err := groupGraph(dir, c)
		if err != nil {
			t.Fatal(err)
		}
		p, err := enginetest.Setup(enginetest.Case{Model: path, Images: 5, DirType: "weights"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, prec := range precisions {
			t.Run(fmt.Sprintf("%d_g%d_%s", ci, c.g, prec), func(t *testing.T) {
				bf16 := prec != "fp32"
				if bf16 && !gemm.SetBF16Impl(strings.TrimPrefix(prec, "bf16:")) {
					t.Fatalf("no bfloat16 implementation %q", prec)
				}
				e, err := NewWith(p, Options{Batch: 4, BF16: bf16})
				if err != nil {
					t.Fatal(err)
				}
				for _, nb := range []int{4, 1} {
					checkGroupStep(t, e, c, nb)
				}
			})
		}
	}
}

// checkGroupStep runs engine e's forward pass on nb images and compares its grouped step's
// output with GroupConv's.
func checkGroupStep(t *testing.T, e *Engine, c groupCase, nb int) {
	gi := -1
	for i := range e.steps {
		if e.steps[i].l.Kind == model.OpConv {
			gi = i
		}
	}
	if gi < 0 || e.steps[gi].kind != c.kind || (e.steps[gi].grp != nil) != (c.g > 1) {
		t.Fatalf("no convolution step (grouped on the gemm where g > 1) of kind %d in %d steps (%+v)", c.kind, len(e.steps), e.steps[0].l)
	}
	st := &e.steps[gi]
	l := &st.l
	if l.ReLU != c.relu || (l.Residual >= 0) != c.res || l.HasAct != c.clip {
		t.Fatalf("step: ReLU %v, residual %d; want %v, %v", l.ReLU, l.Residual, c.relu, c.res)
	}
	ldIn, ldOut := e.ld(st.inHW), e.ld(st.outHW)
	var in, out []float32
	e.onStep = func(i int) {
		if i == gi {
			in = append([]float32(nil), e.bufs[l.In][e.guard:][:l.InShape[0]*ldIn]...)
		}
		if i == gi+1 {
			out = append([]float32(nil), e.bufs[l.Out][e.guard:][:roundUp(l.Cout(), 8)*ldOut]...)
		}
	}
	defer func() { e.onStep = nil }()
	ws := e.prepare(enginetest.Points[1])
	e.forward(ws, 0, nb)
	if e.bf16 { // the step rounds its input in place first
		for i := range in {
			in[i] = gemm.RoundBF16(in[i])
		}
	}
	w, b := ws.w[gi], ws.b[gi]
	want, mag := make([]float32, len(out)), make([]float32, len(out))
	abs := func(v []float32) []float32 {
		a := make([]float32, len(v))
		for i, x := range v {
			a[i] = float32(math.Abs(float64(x)))
		}
		return a
	}
	absIn, absW, absB := abs(in), abs(w), abs(b)
	for img := range nb {
		GroupConv(want[img*st.outHW:], in[img*st.inHW:], w, b, l.InShape, l.OutShape, l.Window(), l.Groups, ldIn, ldOut)
		GroupConv(mag[img*st.outHW:], absIn[img*st.inHW:], absW, absB, l.InShape, l.OutShape, l.Window(), l.Groups, ldIn, ldOut)
	}
	n := nb * st.outHW
	for co := range l.Cout() {
		var r []float32
		if c.res {
			r = in[co*ldIn:][:n] // the residual is the input
		}
		addReLU(want[co*ldOut:][:n], r, l.ReLU)
		if l.HasAct {
			ActivateLayer(l.Act, l, want[co*ldOut:][:n], want[co*ldOut:][:n])
		}
		for j := range n {
			i := co*ldOut + j
			tol := 2e-6 * float64(mag[i]+1)
			if r != nil {
				tol += 2e-6 * math.Abs(float64(r[j]))
			}
			if d := math.Abs(float64(out[i] - want[i])); !(d <= tol) {
				t.Fatalf("batch %d: channel %d, float %d: %v, want %v (tolerance %g)", nb, co, j, out[i], want[i], tol)
			}
		}
	}
}
