package enginetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"landscape/engine"
	"landscape/onnx"
)

// The test graph of a Swin transformer block as torchvision exports one (model/onnx_window.go):
// a patch embedding permuted to NHWC, LayerNorm, the window padding (Pad), the cyclic shift
// (torch.roll: Slice + Concat along H and W), the window partition (Reshape, Transpose,
// Reshape), attention per window with q, k, v gathered from a joint projection, a relative
// position bias gathered from its table by a constant index, a shifted-window mask built from
// constants, the window reverse, the shift back and the crop, and patch merging (strided
// slices, Concat on the channels, LayerNorm, a bias-less Linear). Engines that run it call
// RunSwinGraphs; the GPU engine does not yet.

// SwinGraphCases writes the graph into dir and returns its suite case.
func SwinGraphCases(dir string) ([]Case, error) {
	b, out, classes := swinGraph()
	path := filepath.Join(dir, "swin_block13.onnx")
	if err := b.Write(path, out, classes); err != nil {
		return nil, err
	}
	return []Case{{Model: path, Images: 4, DirType: "weights"}}, nil
}

// RunSwinGraphs runs the conformance checks on SwinGraphCases in fp32.
func RunSwinGraphs(t *testing.T, factory engine.Factory) {
	cases, err := SwinGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.Model), func(t *testing.T) { runCase(t, c, factory, "fp32") })
	}
}

// swinGraph: 3×10×10 images, 2×2 patches of width 8 (5×5 tokens, NHWC), one shifted-window
// block (windows 3×3 after padding to 6×6, shift 1, 2 heads of 4), patch merging to 3×3×16,
// global average pooling and a head of 10 classes.
func swinGraph() (*GraphBuilder, string, int) {
	const d, h, hd, ws, t = 8, 2, 4, 3, 9
	b := NewGraph(-1, 3, 10, 10)
	b.Opset = 13
	consts := 0
	c := func(v ...int64) string { consts++; return b.Ints(fmt.Sprintf("c%d", consts), v...) }
	x := b.Node("Conv", []string{"input", b.Init("embed.weight", false, d, 3, 2, 2), b.Init("embed.bias", false, d)}, AInts("strides", 2, 2))
	x = b.Node("Transpose", []string{x}, AInts("perm", 0, 2, 3, 1)) // [N, 5, 5, 8]
	y := b.LayerNorm("norm1", x, d, 1e-5)
	y = b.Node("Pad", []string{y, c(0, 0, 0, 0, 0, 1, 1, 0)}) // [N, 6, 6, 8]
	roll := func(y string, s int64) string {                  // torch.roll by s along H, then W (ends INT64_MAX, as exported)
		for _, ax := range []int64{1, 2} {
			a := b.Node("Slice", []string{y, c(-s), c(math.MaxInt64), c(ax)})
			z := b.Node("Slice", []string{y, c(0), c(-s), c(ax)})
			y = b.Node("Concat", []string{a, z}, AInt("axis", ax))
		}
		return y
	}
	y = roll(y, -1)
	y = b.Node("Reshape", []string{y, c(-1, 2, ws, 2, ws, d)})
	y = b.Node("Transpose", []string{y}, AInts("perm", 0, 1, 3, 2, 4, 5))
	y = b.Node("Reshape", []string{y, c(-1, t, d)}) // [N·4, 9, 8]
	w := b.Node("Transpose", []string{b.Init("qkv.weight", false, 3*d, d)}, AInts("perm", 1, 0))
	qkv := b.Node("Add", []string{b.Init("qkv.bias", false, 3*d), b.Node("MatMul", []string{y, w})})
	qkv = b.Node("Transpose", []string{b.Node("Reshape", []string{qkv, c(-1, t, 3, h, hd)})}, AInts("perm", 2, 0, 3, 1, 4))
	part := func(i int64) string {
		return b.Node("Gather", []string{qkv, intScalar(b, fmt.Sprintf("idx%d", i), i)}, AInt("axis", 0))
	}
	q := b.Node("Mul", []string{part(0), b.Scalar(0.5)})
	a := b.Node("MatMul", []string{q, b.Node("Transpose", []string{part(1)}, AInts("perm", 0, 1, 3, 2))}) // [N·4, 2, 9, 9]
	a = b.Node("Add", []string{a, swinBias(b, c)})
	a = b.Node("Reshape", []string{a, c(-1, 4, h, t, t)})
	a = b.Node("Add", []string{a, swinMask(b, c)})
	a = b.Node("Softmax", []string{b.Node("Reshape", []string{a, c(-1, h, t, t)})}, AInt("axis", -1))
	o := b.Node("Transpose", []string{b.Node("MatMul", []string{a, part(2)})}, AInts("perm", 0, 2, 1, 3))
	o = b.Node("Reshape", []string{o, c(-1, t, d)})
	wo := b.Node("Transpose", []string{b.Init("proj.weight", false, d, d)}, AInts("perm", 1, 0))
	o = b.Node("Add", []string{b.Node("MatMul", []string{o, wo}), b.Init("proj.bias", false, d)})
	o = b.Node("Reshape", []string{o, c(-1, 2, 2, ws, ws, d)})
	o = b.Node("Reshape", []string{b.Node("Transpose", []string{o}, AInts("perm", 0, 1, 3, 2, 4, 5)), c(-1, 6, 6, d)})
	o = roll(o, 1)
	o = b.Node("Slice", []string{o, c(0, 0), c(5, 5), c(1, 2)})
	x = b.Node("Add", []string{x, o})
	return swinMerge(b, x, c)
}

// swinBias is the relative position bias [1, 2, 9, 9]: a table [25, 2] gathered by a constant
// index [81], reshaped to [9, 9, 2], permuted to [2, 9, 9] and unsqueezed.
func swinBias(b *GraphBuilder, c func(...int64) string) string {
	r := rand.New(rand.NewPCG(5, 7))
	idx := make([]int64, 81)
	for i := range idx {
		idx[i] = int64(r.IntN(25))
	}
	g := b.Node("Gather", []string{b.Init("relative_position_bias_table", false, 25, 2), b.Ints("relative_position_index", idx...)}, AInt("axis", 0))
	g = b.Node("Transpose", []string{b.Node("Reshape", []string{g, c(9, 9, 2)})}, AInts("perm", 2, 0, 1))
	return b.Node("Unsqueeze", []string{g, c(0)})
}

// swinMask is a shifted-window mask [1, 4, 1, 9, 9] of 0 and −100 computed from constants.
func swinMask(b *GraphBuilder, c func(...int64) string) string {
	r := rand.New(rand.NewPCG(9, 3))
	m := make([]int64, 4*81)
	for i := range m {
		m[i] = -100 * int64(r.IntN(2))
	}
	f := b.Node("Cast", []string{b.Ints("mask_ints", m...)}, AInt("to", 1))
	return b.Node("Reshape", []string{f, c(1, 4, 1, 9, 9)})
}

// swinMerge is patch merging (pad 5×5 to 6×6, x[:, i::2, j::2, :] concatenated on the
// channels, LayerNorm, a bias-less Linear to 16), then pooling and the head.
func swinMerge(b *GraphBuilder, x string, c func(...int64) string) (*GraphBuilder, string, int) {
	const d = 8
	x = b.Node("Pad", []string{x, c(0, 0, 0, 0, 0, 1, 1, 0)})
	var parts []string
	for _, ij := range [][2]int64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		r := b.Node("Slice", []string{x, c(ij[0]), c(math.MaxInt64), c(1), c(2)})
		parts = append(parts, b.Node("Slice", []string{r, c(ij[1]), c(math.MaxInt64), c(2), c(2)}))
	}
	y := b.Node("Concat", parts, AInt("axis", -1))
	y = b.LayerNorm("merge.norm", y, 4*d, 1e-5)
	y = b.Node("MatMul", []string{y, b.Node("Transpose", []string{b.Init("merge.reduction.weight", false, 2*d, 4*d)}, AInts("perm", 1, 0))})
	y = b.Node("Transpose", []string{y}, AInts("perm", 0, 3, 1, 2))
	y = b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{y})})
	return b, b.Node("Gemm", []string{y, b.Init("head.weight", false, 10, 2*d), b.Init("head.bias", false, 10)}, AInt("transB", 1)), 10
}

// intScalar adds an int64 initializer of rank 0 (qkv[i]'s index) and returns its name.
func intScalar(b *GraphBuilder, name string, v int64) string {
	b.G.Initializer = append(b.G.Initializer, &onnx.TensorProto{Name: proto.String(name),
		DataType: proto.Int32(int32(onnx.TensorProto_INT64)), Int64Data: []int64{v}})
	return name
}
