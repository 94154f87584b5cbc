package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"landscape/cpu/gemm"
	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/model"
)

// mbconvGraph writes an EfficientNet/MobileNet-like test graph to dir with activation act
// ("silu": Mul(x, Sigmoid(x)) as PyTorch exports it, "hardswish", "relu6": Clip(0, 6)) after
// every batch norm but the projections': a stride-2 stem, two inverted-residual blocks (1×1
// expansion, depthwise 3×3 stride 1 and 5×5 stride 2, squeeze-excitation with its 1×1
// convolutions on 1×1 inputs and a Sigmoid gate (not with relu6, as MobileNetV2), 1×1
// projection, a residual), a 1×1 head, the
// pool and a Gemm; odd channel counts (7, 13, 11, 5, 19) on a 3×45×43 input (products over
// more columns than one gemm.Workspace.After/Before block).
func mbconvGraph(dir, act string) (string, error) {
	b := enginetest.NewGraph(-1, 3, 45, 43)
	b.Opset = 17
	n := 0
	conv := func(x string, cin, cout, k, stride, groups int, bias bool) string {
		n++
		pad := int64(k / 2)
		in := []string{x, b.Init(fmt.Sprintf("c%d.weight", n), false, cout, cin/groups, k, k)}
		if bias {
			in = append(in, b.Init(fmt.Sprintf("c%d.bias", n), false, cout))
		}
		return b.Node("Conv", in, enginetest.AInts("pads", pad, pad, pad, pad), enginetest.AInts("strides", int64(stride), int64(stride)), enginetest.AInt("group", int64(groups)))
	}
	activate := func(x string) string {
		switch act {
		case "silu":
			return b.Node("Mul", []string{x, b.Node("Sigmoid", []string{x})})
		case "hardswish":
			return b.Node("HardSwish", []string{x})
		}
		return b.Node("Clip", []string{x, b.Scalar(0), b.Scalar(6)})
	}
	cba := func(x string, cin, cout, k, stride, groups int) string {
		return activate(b.BN(fmt.Sprintf("bn%d", n+1), conv(x, cin, cout, k, stride, groups, false), cout))
	}
	block := func(x string, cin, cexp, cout, k, stride, cse int) string {
		y := cba(x, cin, cexp, 1, 1, 1)
		y = cba(y, cexp, cexp, k, stride, cexp)
		if act != "relu6" { // MobileNetV2's blocks have no squeeze-excitation
			s := activate(conv(b.Node("GlobalAveragePool", []string{y}), cexp, cse, 1, 1, 1, true))
			y = b.Node("Mul", []string{y, b.Node("Sigmoid", []string{conv(s, cse, cexp, 1, 1, 1, true)})})
		}
		y = b.BN(fmt.Sprintf("bn%d", n+1), conv(y, cexp, cout, 1, 1, 1, false), cout)
		if cin == cout && stride == 1 {
			y = b.Node("Add", []string{y, x})
		}
		return y
	}
	x := cba("input", 3, 7, 3, 2, 1)
	x = block(x, 7, 13, 7, 3, 1, 3)
	x = block(x, 7, 11, 5, 5, 2, 5)
	x = cba(x, 5, 19, 1, 1, 1)
	x = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{x})})
	out := b.Node("Gemm", []string{x, b.Init("fc.weight", false, 10, 19), b.Init("fc.bias", false, 10)}, enginetest.AInt("transB", 1))
	path := filepath.Join(dir, "mbconv-"+act+".onnx")
	return path, b.Write(path, out, 10)
}

// logitsOf runs engine e over images [0, n) at pt, batch by batch, and returns the logits.
func logitsOf(e *Engine, pt engine.Point, n int) []float32 {
	var all []float32
	ws := e.prepare(pt)
	classes := e.p.Net.Classes
	for first := 0; first < n; first += e.bmax {
		nb := min(e.bmax, n-first)
		logits, ld := e.forward(ws, first, nb)
		for b := range nb {
			for c := range classes {
				all = append(all, logits[c*ld+b])
			}
		}
	}
	return all
}

// TestFusedActivations compares the engine with its activations and squeeze-excitation scales
// fused into the products (actstore.go, sescale.go), and its pools into the depthwise steps, with the same engine computing them in passes of their
// own (Options.unfused), in float32 and bfloat16 (each implementation), for SiLU, HardSwish and ReLU6 graphs
// (mbconvGraph), batches of 1, 3 and 4 over 7 images (a last partial batch): the logits must be
// the same bit for bit, since the fusions change where, not how, each value is computed.
func TestFusedActivations(t *testing.T) {
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
	dir := t.TempDir()
	const images = 7
	for _, act := range []string{"silu", "hardswish", "relu6"} {
		path, err := mbconvGraph(dir, act)
		if err != nil {
			t.Fatal(err)
		}
		p, err := enginetest.Setup(enginetest.Case{Model: path, Images: images, DirType: "weights"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, prec := range precisions {
			bf16 := prec != "fp32"
			for _, batch := range []int{1, 3, 4} {
				t.Run(fmt.Sprintf("%s/%s/batch%d", act, prec, batch), func(t *testing.T) {
					if bf16 && !gemm.SetBF16Impl(strings.TrimPrefix(prec, "bf16:")) {
						t.Fatalf("no bfloat16 implementation %q", prec)
					}
					fused, err := NewWith(p, Options{Batch: batch, BF16: bf16})
					if err != nil {
						t.Fatal(err)
					}
					se := map[bool]int{true: 2}[act != "relu6"]
					dw := map[bool]int{true: 2}[act == "relu6" && bf16]
					if acts, scales, means, dwRound := fusedSteps(fused); acts == 0 || scales != se || means != se || dwRound != dw {
						t.Fatalf("%d steps apply their activation as they store, %d scale their input, %d pool their output, %d depthwise round theirs: want some, %d, %d and %d",
							acts, scales, means, dwRound, se, se, dw)
					}
					ref, err := NewWith(p, Options{Batch: batch, BF16: bf16, unfused: true})
					if err != nil {
						t.Fatal(err)
					}
					for _, pt := range enginetest.Points[:2] {
						got, want := logitsOf(fused, pt, images), logitsOf(ref, pt, images)
						for i := range want {
							if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
								t.Fatalf("point %v: logit %d of image %d = %v, unfused %v", pt, i%10, i/10, got[i], want[i])
							}
						}
					}
				})
			}
		}
	}
}

// fusedSteps counts the steps of e that apply their activation as they store, those that
// scale their input by squeeze-excitation's factors, those that pool their output and the
// depthwise steps that round theirs.
func fusedSteps(e *Engine) (acts, scales, means, dwRound int) {
	for i := range e.steps {
		st := &e.steps[i]
		if st.fused() && st.l.HasAct && !st.wino {
			acts++
		}
		if st.se != nil {
			scales++
		}
		if st.meanNext {
			means++
		}
		if st.dw != nil && st.roundOut {
			dwRound++
		}
	}
	return acts, scales, means, dwRound
}

// TestActivateRowsAsm checks activateRowsAsm against activate row by row, bit for bit, for
// widths around the vector's 16 and rows with gaps, and that it writes nothing else.
func TestActivateRowsAsm(t *testing.T) {
	if !hasActRowsAsm(model.OpSiLU) {
		t.Skip("no AVX-512 in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, cols := range []int{1, 7, 15, 16, 17, 33, 56, 112} {
		for _, rows := range []int{1, 3} {
			lds, ldd := cols+2, cols+5
			src := make([]float32, rows*lds)
			for i := range src {
				src[i] = float32(rng.NormFloat64() * 8)
			}
			got, want := make([]float32, rows*ldd), make([]float32, rows*ldd)
			for i := range got {
				got[i], want[i] = -7, -7
			}
			activateRowsAsm(model.OpSiLU, got, ldd, src, lds, rows, cols)
			l := &model.Layer{}
			for r := range rows {
				activate(model.OpSiLU, l, want[r*ldd:][:cols], src[r*lds:][:cols])
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("cols %d rows %d: [%d] = %v, want %v", cols, rows, i, got[i], want[i])
				}
			}
		}
	}
}

// TestTiledActivation runs a 3×3 stride-1 convolution of 32 channels (the shape the AMX tile
// path takes) followed by SiLU in bfloat16 on every implementation and compares its logits with
// the float32 engine's: a step that dropped the activation or rounded before it would be far
// off (the tile kernels apply no Workspace.After, so such a step must not be tiled).
func TestTiledActivation(t *testing.T) {
	saved := gemm.BF16KernelName()
	defer func() {
		if !gemm.SetBF16Impl(saved) {
			gemm.SetBF16Impl("")
		}
	}()
	b := enginetest.NewGraph(-1, 32, 9, 11)
	b.Opset = 17
	x := b.Node("Conv", []string{"input", b.Init("c.weight", false, 32, 32, 3, 3), b.Init("c.bias", false, 32)},
		enginetest.AInts("pads", 1, 1, 1, 1))
	x = b.Node("Mul", []string{x, b.Node("Sigmoid", []string{x})})
	x = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{x})})
	out := b.Node("Gemm", []string{x, b.Init("fc.weight", false, 10, 32), b.Init("fc.bias", false, 10)}, enginetest.AInt("transB", 1))
	path := filepath.Join(t.TempDir(), "conv3-silu.onnx")
	if err := b.Write(path, out, 10); err != nil {
		t.Fatal(err)
	}
	const images = 5
	p, err := enginetest.Setup(enginetest.Case{Model: path, Images: images, DirType: "weights"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewWith(p, Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := logitsOf(ref, enginetest.Points[1], images)
	var scale float64
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for _, impl := range bf16Impls() {
		if !gemm.SetBF16Impl(impl) {
			t.Fatalf("no bfloat16 implementation %q", impl)
		}
		e, err := NewWith(p, Options{Batch: 2, BF16: true})
		if err != nil {
			t.Fatal(err)
		}
		got := logitsOf(e, enginetest.Points[1], images)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 0.03*scale {
				t.Fatalf("%s: logit %d of image %d = %v, float32 engine %v (largest |logit| %g)", impl, i%10, i/10, got[i], want[i], scale)
			}
		}
	}
}
