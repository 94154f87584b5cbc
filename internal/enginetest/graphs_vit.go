package enginetest

import (
	"fmt"
	"path/filepath"
	"testing"

	"landscape/engine"
)

// The test graphs of vision transformers (model/onnx_attn.go): patch embedding (Conv, Reshape,
// Transpose), a class token (Expand to a Shape-computed batch, Concat on the tokens), a
// position embedding (Add of a [1, T, D] parameter), LayerNorm, a joint q/k/v projection split
// into heads, Q·Kᵀ and A·V (MatMul of two activations), Softmax over the keys, the heads merged
// back, residual Adds, a GELU MLP, and a class-token Gather or a mean over the tokens; batch-first
// (timm's layout: [N, h, T, d]) and sequence-first (nn.MultiheadAttention's export: [T, N, D],
// the batch merged with the heads and, before the output projection's Gemm, with the tokens).
// Engines that run them call RunViTGraphs (the GPU engine, in every precision, RunViTGraphsPrecision).

// ViTGraphCases writes the graphs into dir and returns their suite cases.
func ViTGraphCases(dir string) ([]Case, error) {
	var cases []Case
	for _, g := range []struct {
		name     string
		opset    int64
		seqFirst bool
	}{{"vit_batchfirst13", 13, false}, {"vit_seqfirst17", 17, true}} {
		b, out, classes := vitGraph(g.opset, g.seqFirst)
		path := filepath.Join(dir, g.name+".onnx")
		if err := b.Write(path, out, classes); err != nil {
			return nil, err
		}
		cases = append(cases, Case{Model: path, Images: 4, DirType: "weights"})
	}
	return cases, nil
}

// RunViTGraphs runs the conformance checks on ViTGraphCases in fp32.
func RunViTGraphs(t *testing.T, factory engine.Factory) {
	cases, err := ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.Model), func(t *testing.T) { runCase(t, c, factory, "fp32") })
	}
}

// vitGraph: one pre-norm block of width 8 with 2 heads on 3×8×12 images cut into 4×4 patches
// (6 tokens and a class token); batch-first with a class token, or sequence-first with mean
// pooling.
func vitGraph(opset int64, seqFirst bool) (*GraphBuilder, string, int) {
	const d, h, hd = 8, 2, 4
	b := NewGraph(-1, 3, 8, 12)
	b.Opset = opset
	consts := 0
	c := func(v ...int64) string { consts++; return b.Ints(fmt.Sprintf("c%d", consts), v...) }
	dim := func(x string, i int64) string { // [x.shape[i]]
		return b.Node("Gather", []string{b.Node("Shape", []string{x}), c(i)}, AInt("axis", 0))
	}
	shape := func(parts ...string) string { return b.Node("Concat", parts, AInt("axis", 0)) }
	x := b.Node("Conv", []string{"input", b.Init("embed.weight", false, d, 3, 4, 4), b.Init("embed.bias", false, d)}, AInts("strides", 4, 4))
	x = b.Node("Transpose", []string{b.Node("Reshape", []string{x, c(0, d, -1)})}, AInts("perm", 0, 2, 1))
	t := 6
	if !seqFirst {
		cls := b.Node("Expand", []string{b.Init("cls", false, 1, 1, d), shape(dim(x, 0), c(1, d))})
		x = b.Node("Concat", []string{cls, x}, AInt("axis", 1))
		t = 7
	}
	x = b.Node("Add", []string{x, b.Init("pos", false, 1, t, d)})
	y := b.LayerNorm("ln1", x, d, 1e-6)
	var o string
	if seqFirst {
		o = seqFirstAttention(b, y, dim, shape, c)
	} else {
		o = batchFirstAttention(b, y, t, dim, shape, c)
	}
	x = b.Node("Add", []string{x, o})
	y = b.LayerNorm("ln2", x, d, 1e-6)
	w1 := b.Node("Transpose", []string{b.Init("fc1.weight", false, 16, d)}, AInts("perm", 1, 0))
	y = b.GELU(b.Node("Add", []string{b.Node("MatMul", []string{y, w1}), b.Init("fc1.bias", false, 16)}))
	y = b.Node("Add", []string{b.Init("fc2.bias", false, d), b.Node("MatMul", []string{y, b.Init("fc2.w", false, 16, d)})})
	x = b.Node("Add", []string{x, y})
	if seqFirst {
		x = b.Node("ReduceMean", []string{x}, AInts("axes", 1), AInt("keepdims", 0))
	} else {
		x = b.Node("Gather", []string{x, c(0)}, AInt("axis", 1))
		x = b.Node("Reshape", []string{x, c(-1, d)}) // Gather by a [1] index keeps the axis
	}
	_ = hd
	return b, b.Node("Gemm", []string{x, b.Init("head.weight", false, 10, d), b.Init("head.bias", false, 10)}, AInt("transB", 1)), 10
}

// batchFirstAttention: q, k, v = Split(x·Wqkv + b) on the features; each Reshape to
// [N, T, h, d] (the batch from Shape) and Transpose to [N, h, T, d] (k straight to [N, h, d, T]);
// q/2; Softmax(q·kᵀ)·v back to [N, T, D]; MatMul by the output projection and Add its bias.
func batchFirstAttention(b *GraphBuilder, x string, t int, dim func(string, int64) string, shape func(...string) string, c func(...int64) string) string {
	const d, h, hd = 8, 2, 4
	w := b.Node("Transpose", []string{b.Init("qkv.weight", false, 3*d, d)}, AInts("perm", 1, 0))
	qkv := b.Node("Add", []string{b.Node("MatMul", []string{x, w}), b.Init("qkv.bias", false, 3*d)})
	p := b.NodeN("Split", []string{qkv}, 3, AInt("axis", -1))
	heads := func(y string, perm ...int64) string {
		return b.Node("Transpose", []string{b.Node("Reshape", []string{y, shape(dim(y, 0), c(int64(t), h, hd))})}, AInts("perm", perm...))
	}
	q := b.Node("Div", []string{heads(p[0], 0, 2, 1, 3), b.Scalar(2)})
	a := b.Node("Softmax", []string{b.Node("MatMul", []string{q, heads(p[1], 0, 2, 3, 1)})}, AInt("axis", -1))
	o := b.Node("Transpose", []string{b.Node("MatMul", []string{a, heads(p[2], 0, 2, 1, 3)})}, AInts("perm", 0, 2, 1, 3))
	o = b.Node("Reshape", []string{o, c(-1, int64(t), d)})
	wo := b.Node("Transpose", []string{b.Init("proj.weight", false, d, d)}, AInts("perm", 1, 0))
	return b.Node("Add", []string{b.Node("MatMul", []string{o, wo}), b.Init("proj.bias", false, d)})
}

// seqFirstAttention as torch.nn.MultiheadAttention exports it: Transpose to [T, N, D], the
// projection, q, k, v by Slice, each Reshape to [T, N·h, d] (N·h from Shape) and Transpose to
// [N·h, T, d]; Softmax(q/2·kᵀ)·v, Transpose to [T, N·h, d], Reshape to [T·N, D], Gemm, Reshape
// to [T, N, D] and Transpose back to [N, T, D].
func seqFirstAttention(b *GraphBuilder, x string, dim func(string, int64) string, shape func(...string) string, c func(...int64) string) string {
	const d, h, hd = 8, 2, 4
	x = b.Node("Transpose", []string{x}, AInts("perm", 1, 0, 2))
	w := b.Node("Transpose", []string{b.Init("in_proj_weight", false, 3*d, d)}, AInts("perm", 1, 0))
	qkv := b.Node("Add", []string{b.Init("in_proj_bias", false, 3*d), b.Node("MatMul", []string{x, w})})
	nh := b.Node("Mul", []string{dim(x, 1), c(h)})
	heads := func(i int64) string {
		s := b.Node("Slice", []string{qkv, c(i * d), c((i + 1) * d), c(-1)})
		r := b.Node("Reshape", []string{s, shape(dim(x, 0), nh, c(hd))})
		return b.Node("Transpose", []string{r}, AInts("perm", 1, 0, 2))
	}
	q := b.Node("Div", []string{heads(0), b.Scalar(2)})
	k := b.Node("Transpose", []string{heads(1)}, AInts("perm", 0, 2, 1))
	a := b.Node("Softmax", []string{b.Node("MatMul", []string{q, k})}, AInt("axis", -1))
	o := b.Node("Transpose", []string{b.Node("MatMul", []string{a, heads(2)})}, AInts("perm", 1, 0, 2))
	tn := b.Node("Mul", []string{dim(x, 0), dim(x, 1)})
	o = b.Node("Reshape", []string{o, shape(tn, c(d))})
	o = b.Node("Gemm", []string{o, b.Init("out_proj.weight", false, d, d), b.Init("out_proj.bias", false, d)}, AInt("transB", 1))
	o = b.Node("Reshape", []string{o, shape(dim(x, 0), dim(x, 1), c(d))})
	return b.Node("Transpose", []string{o}, AInts("perm", 1, 0, 2))
}
