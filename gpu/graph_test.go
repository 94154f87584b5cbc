package gpu

import (
	"context"
	"fmt"
	"math"
	"testing"

	"landscape/engine"
	"landscape/internal/enginetest"
	"landscape/kernels"
	"landscape/model"
)

// TestEngineGraphsOnKernelModels runs the conformance suite over the ONNX test graphs (every
// imported operator) on the engine driving the Go kernel models: default launch sizes, several
// point groups and image batches, the reference conv kernels, and tf32 and bf16 (operands of
// every convolution rounded, direct ones included, against enginetest.LossTols).
func TestEngineGraphsOnKernelModels(t *testing.T) {
	for _, o := range []Options{{}, {Points: 3, Images: 2}, {Kernels: "reference", Points: 1, Images: 3},
		{Precision: "tf32", Points: 3, Images: 2}, {Precision: "bf16"}} {
		prec := o.Precision
		if prec == "" {
			prec = "fp32"
		}
		t.Run(fmt.Sprintf("%s_%s_K%d_B%d", o.Kernels, prec, o.Points, o.Images), func(t *testing.T) {
			enginetest.RunGraphsPrecision(t, func(p *engine.Problem) (engine.Engine, error) {
				return newEngine(newFake(1<<30), 0, p, o)
			}, prec)
		})
	}
}

// TestEngineExtGraphsOnKernelModels runs the conformance suite over the graphs of the newer
// operators (enginetest.ExtGraphCases: per-node batch-norm ε, HardSigmoid, HardSwish, SiLU,
// GELU in both forms, Tanh, arithmetic by constants and parameters, channel shuffle, Split,
// Slice, LayerNorm in both exports, Linear per pixel, layer scale) on the engine driving the Go
// kernel models, in fp32, tf32 and bf16 against enginetest.LossTols.
func TestEngineExtGraphsOnKernelModels(t *testing.T) {
	for _, o := range []Options{{}, {Points: 3, Images: 2}, {Kernels: "reference", Points: 1, Images: 3},
		{Precision: "tf32", Points: 3, Images: 2}, {Precision: "bf16"}} {
		prec := o.Precision
		if prec == "" {
			prec = "fp32"
		}
		t.Run(fmt.Sprintf("%s_%s_K%d_B%d", o.Kernels, prec, o.Points, o.Images), func(t *testing.T) {
			enginetest.RunExtGraphsPrecision(t, func(p *engine.Problem) (engine.Engine, error) {
				return newEngine(newFake(1<<30), 0, p, o)
			}, prec)
		})
	}
}

// TestGraphFoldMatchesCPU: the fold table of the test graphs, folded on the host with the
// kernel's arithmetic, gives the CPU engine's weights bit for bit: grouped and dilated convs in
// PyTorch's order, MatMul weights transposed, and a batch norm standing alone as the scale and
// shift of model.Layer.Affine (from the row of ones); class tokens and position embeddings
// (enginetest.ViTGraphCases) copied per weight set.
func TestGraphFoldMatchesCPU(t *testing.T) {
	cases, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ext, err := enginetest.ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vit, err := enginetest.ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, append(append(ext, vit...), pixelLinearCase(t))...)
	kinds := map[string]bool{}
	for _, c := range cases {
		p, err := enginetest.Setup(c, 5)
		if err != nil {
			t.Fatal(err)
		}
		l, err := newLayout(p, true)
		if err != nil {
			t.Fatal(err)
		}
		theta, dx, dy := l.ThetaVector(p.Base), l.RawVector(p.DX), l.RawVector(p.DY)
		for _, pt := range enginetest.Points {
			got := l.FoldOnHost(theta, dx, dy, float32(pt.A), float32(pt.B))
			w, b := enginetest.Folded(p, pt)
			for i, ll := range l.Layers {
				pl := &p.Plan.Layers[i]
				if ll.WOut < 0 {
					continue
				}
				switch {
				case pl.Kind == model.OpBatchNorm:
					kinds["affine"] = true
				case Direct(pl):
					kinds["direct"] = true
				case pl.TransW:
					kinds["matmul "+pl.Kind.String()] = true
				case pl.Kind == model.OpCatTokens:
					kinds["class tokens"] = true
				case pl.Kind == model.OpArith && ll.Vector > pl.OutShape[0]:
					kinds["arith per element"] = true
				case pl.Kind == model.OpLayerNorm, pl.Kind == model.OpArith:
					kinds[pl.Kind.String()+map[bool]string{true: " parameter", false: " constant"}[pl.Weight != ""]] = true
				}
				if len(w[i]) == 0 {
					t.Fatalf("%s layer %d (%s): the CPU folds nothing", c.Model, i, pl.Kind)
				}
				for j, v := range w[i] {
					if g := got[ll.WOut+ll.WIndex(j)]; math.Float32bits(g) != math.Float32bits(v) {
						t.Fatalf("%s %v layer %d (%s): W'[%d] = %g, CPU %g", c.Model, pt, i, pl.Kind, j, g, v)
					}
				}
				for j, v := range b[i] {
					if g := got[ll.BOut+j]; math.Float32bits(g) != math.Float32bits(v) {
						t.Fatalf("%s %v layer %d (%s): b'[%d] = %g, CPU %g", c.Model, pt, i, pl.Kind, j, g, v)
					}
				}
			}
		}
	}
	for _, k := range []string{"affine", "direct", "matmul linear", "matmul conv", "layernorm parameter", "arith parameter", "arith constant",
		"class tokens", "arith per element"} {
		if !kinds[k] {
			t.Errorf("the test graphs have no %s layer", k)
		}
	}
}

// TestGraphLaunches: the test graphs run every kernel of imported graphs, and every activation.
func TestGraphLaunches(t *testing.T) {
	cases, err := enginetest.GraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ext, err := enginetest.ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, ext...)
	f := newFake(1 << 30)
	for _, c := range cases {
		p, err := enginetest.Setup(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		e, err := newEngine(f, 0, p, Options{Points: 2, Images: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Evaluate(context.Background(), enginetest.Points[:2], 0, 3); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"conv_direct", "activate", "affine", "binary", "concat_copy", "pool_window",
		"arith", "layernorm_channels", "gather_channels"} {
		if f.launches[name] == 0 {
			t.Errorf("%s never launched", name)
		}
	}
	for a := kernels.ActRelu; a < kernels.ActCount; a++ {
		if f.acts[a] == 0 {
			t.Errorf("activation %s never launched", a)
		}
	}
}

// TestImagesAsOperands: layers of imported graphs that read the network input itself, which
// every weight set shares (set stride 0): an activation, a stand-alone batch norm, Add and Mul
// with the input on either side, a per-channel Mul by its global average, Concat, pooling.
func TestImagesAsOperands(t *testing.T) {
	b := enginetest.NewGraph(1, 3, 7, 6)
	y1 := b.Node("AveragePool", []string{"input"}, enginetest.AInts("kernel_shape", 3, 3), enginetest.AInts("pads", 1, 1, 1, 1), enginetest.AInt("count_include_pad", 1))
	y2 := b.Node("Sigmoid", []string{b.BN("bn", "input", 3)})
	y3 := b.Node("Add", []string{b.Node("Relu", []string{"input"}), "input"})
	y4 := b.Node("Mul", []string{"input", y3})
	y5 := b.Node("Mul", []string{y4, b.Node("GlobalAveragePool", []string{"input"})})
	cat := b.Node("Concat", []string{"input", y1, y2, y5}, enginetest.AInt("axis", 1))
	p := b.Node("MaxPool", []string{cat}, enginetest.AInts("kernel_shape", 3, 3), enginetest.AInts("strides", 2, 2),
		enginetest.AInts("pads", 1, 1, 1, 1), enginetest.AInt("ceil_mode", 1))
	out := b.Node("Gemm", []string{b.Node("Flatten", []string{p}), b.Init("fc.weight", false, 5, 12*4*4)}, enginetest.AInt("transB", 1))
	path := t.TempDir() + "/inputs.onnx"
	if err := b.Write(path, out, 5); err != nil {
		t.Fatal(err)
	}
	pr, err := enginetest.Setup(enginetest.Case{Model: path, Images: 5, DirType: "weights"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(1 << 30)
	e, err := newEngine(f, 0, pr, Options{Points: 3, Images: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Evaluate(context.Background(), enginetest.Points, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range enginetest.Expected(pr, enginetest.Points, 1, 5) {
		if rel := math.Abs(got[k].Loss-want.Loss) / math.Abs(want.Loss); !(rel <= enginetest.LossTol) {
			t.Errorf("point %v: loss sum %.8g, want %.8g (rel err %.2g)", enginetest.Points[k], got[k].Loss, want.Loss, rel)
		}
	}
	for _, name := range []string{"activate", "affine", "binary", "concat_copy", "pool_window"} {
		if f.launches[name] == 0 {
			t.Errorf("%s never launched", name)
		}
	}
}

// TestZooGraphSameKernels: a zoo network written as PyTorch exports it (enginetest.ZooGraph)
// runs on the GPU engine through exactly the zoo's kernels, as often, to bit-identical sums:
// the ONNX path of a zoo network costs nothing on the GPU either.
func TestZooGraphSameKernels(t *testing.T) {
	for _, c := range []int{0, 3} { // resnet8 (residuals), vgg9 (max pools, BN1d)
		p, err := enginetest.Setup(enginetest.Cases[c], 4)
		if err != nil {
			t.Fatal(err)
		}
		b, out := enginetest.ZooGraph(p.Net, p.Base)
		path := t.TempDir() + "/zoo.onnx"
		if err := b.Write(path, out, p.Net.Classes); err != nil {
			t.Fatal(err)
		}
		graph, _, err := model.LoadONNX(path, "")
		if err != nil {
			t.Fatal(err)
		}
		pg, err := engine.NewProblem(graph, model.Order(graph, p.Base), model.Order(graph, p.DX), model.Order(graph, p.DY), p.Data)
		if err != nil {
			t.Fatal(err)
		}
		var sums [2][]engine.Sums
		var launches [2]map[string]int
		for i, pr := range []*engine.Problem{p, pg} {
			f := newFake(1 << 30)
			e, err := newEngine(f, 0, pr, Options{Points: 3, Images: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sums[i], err = e.Evaluate(context.Background(), enginetest.Points, 0, p.Data.N); err != nil {
				t.Fatal(err)
			}
			launches[i] = f.launches
		}
		if fmt.Sprint(launches[0]) != fmt.Sprint(launches[1]) {
			t.Errorf("%s: zoo launches %v, ONNX %v", enginetest.Cases[c].Model, launches[0], launches[1])
		}
		for k := range sums[0] {
			if math.Float64bits(sums[0][k].Loss) != math.Float64bits(sums[1][k].Loss) || sums[0][k].Correct != sums[1][k].Correct {
				t.Errorf("%s point %v: zoo %+v, ONNX %+v", enginetest.Cases[c].Model, enginetest.Points[k], sums[0][k], sums[1][k])
			}
		}
	}
}
