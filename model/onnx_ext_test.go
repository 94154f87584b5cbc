package model_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/internal/enginetest"
	"landscape/model"
)

// kindsOf counts the op kinds of a net.
func kindsOf(n *model.Net) map[model.OpKind]int {
	k := map[model.OpKind]int{}
	for _, op := range n.Ops {
		k[op.Kind]++
	}
	return k
}

// TestONNXExtGraphs: the graphs of enginetest.ExtGraphCases import as the layers they are
// written for: batch-norm ε from the node, SiLU and HardSwish fused from their export patterns,
// the channel shuffle as one permutation, GELU (both forms) and LayerNorm (both exports) recognised, the
// NHWC Linear as a 1×1 convolution with its bias, the layer scale a normalised parameter, and
// LayerNorm γ/β ≤1-dim parameters.
func TestONNXExtGraphs(t *testing.T) {
	cases, err := enginetest.ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mobile, _, err := model.Load(cases[0].Model, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	checkMobileBatchNorms(t, mobile)
	checkMobileOps(t, mobile)
	for _, c := range []enginetest.Case{cases[2], cases[4]} {
		n, _, err := model.Load(c.Model, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		checkTransformerBlock(t, c.Model, n)
	}
}

// checkMobileBatchNorms: each batch norm keeps its node's ε, through Compile too, and the
// ones after a convolution are folded into it.
func checkMobileBatchNorms(t *testing.T, mobile *model.Net) {
	t.Helper()
	eps := map[string]float64{}
	for _, op := range mobile.Ops {
		if op.Kind == model.OpBatchNorm {
			eps[op.Prefix] = op.BNEpsilon()
		}
	}
	if eps["bn1"] != 1e-3 || eps["bn2"] != 1e-4 || eps["bn3"] != 1e-4 || eps["bn4"] != 1e-3 {
		t.Errorf("batch-norm ε %v; want bn1 and bn4 1e-3, bn2 and bn3 1e-4 exactly", eps)
	}
	plan, err := model.Compile(mobile)
	if err != nil {
		t.Fatal(err)
	}
	folded := map[string]bool{}
	for _, l := range plan.Layers {
		if l.BN != "" {
			folded[l.BN] = l.Kind != model.OpBatchNorm
			if l.BNEpsilon() != eps[l.BN] {
				t.Errorf("plan layer of %s: ε %g, want %g", l.BN, l.BNEpsilon(), eps[l.BN])
			}
		}
	}
	if !folded["bn1"] || folded["bn2"] || !folded["bn3"] || folded["bn4"] || len(folded) != 4 {
		t.Errorf("folded batch norms %v; want bn1 and bn3 folded, bn2 and bn4 standalone", folded)
	}
}

// checkMobileOps: the mobile graph's activations, channel shuffles and slices import as the
// ops they are written for.
func checkMobileOps(t *testing.T, mobile *model.Net) {
	t.Helper()
	k := kindsOf(mobile)
	if k[model.OpHardSwish] != 2 || k[model.OpSiLU] != 1 || k[model.OpHardSigmoid] != 1 || k[model.OpMul] != 1 ||
		k[model.OpSigmoid] != 0 || k[model.OpArith] != 4 || k[model.OpTanh] != 1 || k[model.OpGELUTanh] != 1 || k[model.OpChannels] != 4 {
		t.Errorf("mobile graph kinds %v", k)
	}
	for _, op := range mobile.Ops {
		if op.Kind == model.OpChannels && len(op.Perm) == 8 && !slices.Equal(op.Perm, []int{0, 4, 1, 5, 2, 6, 3, 7}) {
			t.Errorf("channel shuffle of 2 groups of 4: perm %v", op.Perm)
		}
		if op.Kind == model.OpArith && op.Arith == '-' && (!op.Rev || len(op.Const) != 1 || op.Const[0] != 1) {
			t.Errorf("1 − x: %+v", op)
		}
	}
	var last model.Op
	for _, op := range mobile.Ops {
		if op.Kind == model.OpChannels {
			last = op
		}
	}
	if !slices.Equal(last.Perm, []int{1, 3, 5}) {
		t.Errorf("slice 1:7:2: perm %v", last.Perm)
	}
	if s := mobile.Spec("shift"); s == nil || s.Kind != model.KindWeight {
		t.Errorf("the [8,1,1] shift parameter: %+v", s)
	}
}

// checkTransformerBlock: a transformer block's LayerNorms (γ, β, ε), GELU, NHWC Linear (a 1×1
// convolution with its bias) and layer scale import as such.
func checkTransformerBlock(t *testing.T, name string, n *model.Net) {
	t.Helper()
	k := kindsOf(n)
	if k[model.OpLayerNorm] != 3 || k[model.OpGELU] != 1 || k[model.OpConv] != 4 || k[model.OpArith] != 1 || k[model.OpAdd] != 1 {
		t.Errorf("%s kinds %v", name, k)
	}
	for _, op := range n.Ops {
		if op.Kind == model.OpLayerNorm && (op.Weight == "" || op.Bias == "" || op.BNEpsilon() != 1e-6) {
			t.Errorf("%s: LayerNorm %+v; want γ, β and ε 1e-6", name, op)
		}
		if op.Kind == model.OpConv && op.Weight == "blk.fc1.weight" && (op.Bias != "blk.fc1.bias" || op.TransW || op.K != 1) {
			t.Errorf("%s: the NHWC Linear: %+v", name, op)
		}
	}
	if s := n.Spec("blk.layer_scale"); s == nil || s.Kind != model.KindWeight {
		t.Errorf("layer scale: %+v", s)
	}
	if s := n.Spec("blk.ln.weight"); s == nil || s.Kind != model.KindBNWeight {
		t.Errorf("LayerNorm γ: %+v", s)
	}
}

// TestONNXRefusalSaysEverything: a graph with several unsupported operators is refused once,
// naming each type with its count and first node, after shape arithmetic (ConstantOfShape,
// Range, Where, Equal, Expand) evaluated; after an unsupported node, only operators neither
// imported nor evaluated anywhere are named (not the Relu, the Erf or the Gemm).
func TestONNXRefusalSaysEverything(t *testing.T) {
	b := enginetest.NewGraph(-1, 2, 4, 4)
	x := b.Node("Conv", []string{"input", b.Init("c.weight", false, 4, 2, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	shape := b.Node("ConstantOfShape", []string{b.Ints("n", 2)})
	r := b.Node("Range", []string{b.Ints("r0", 0), b.Ints("r1", 2), b.Ints("r2", 1)})
	mask := b.Node("Where", []string{b.Node("Equal", []string{r, b.Ints("one", 1)}), shape, b.Node("Expand", []string{b.Ints("m", -1), b.Ints("sh", 2)})})
	_ = mask
	y := b.Node("Softmax", []string{x}, enginetest.AInt("axis", 1))
	y = b.Node("Relu", []string{b.Node("Softmax", []string{y})})
	y = b.Node("Add", []string{b.Node("LpNormalization", []string{b.Node("Erf", []string{y})}), x})
	y = b.Node("Gemm", []string{b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{y})}), b.Init("fc.weight", false, 3, 4)}, enginetest.AInt("transB", 1))
	path := filepath.Join(t.TempDir(), "net.onnx")
	if err := b.Write(path, y, 3); err != nil {
		t.Fatal(err)
	}
	_, _, err := model.LoadONNX(path, "")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"net.onnx: cannot import the graph", `Softmax ×2 (first: "/Softmax_`, `LpNormalization ×1 (first: "/LpNormalization_`} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q:\n%s", want, msg)
		}
	}
	for _, not := range []string{"ConstantOfShape", "Where", "Relu", "Erf", "Gemm", "refused nodes"} {
		if strings.Contains(msg, not) {
			t.Errorf("refusal names %s:\n%s", not, msg)
		}
	}
}
