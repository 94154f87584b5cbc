package model_test

import (
	"strings"
	"testing"

	"landscape/internal/enginetest"
	"landscape/model"
)

// TestONNXViTGraphs: the attention graphs of enginetest.ViTGraphCases import as the layers they
// are — Q·Kᵀ read transposed and A·V not, both over 2 heads, the softmax over each head's keys,
// the class token prepended, linear layers as 1×1 convolutions — with the parameter roles of
// the paper's rule (≥ 2 dimensions: normalised; ≤ 1: biases, LayerNorm γ and β).
func TestONNXViTGraphs(t *testing.T) {
	cases, err := enginetest.ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		n, _, err := model.LoadONNX(c.Model, "")
		if err != nil {
			t.Fatal(err)
		}
		count := map[model.OpKind]int{}
		for _, op := range n.Ops {
			count[op.Kind]++
			switch op.Kind {
			case model.OpMatMul:
				if op.Heads != 2 || (n.Slots[op.Out][0] == 2*n.Slots[op.In][1]*n.Slots[op.In][2]) != op.TransA {
					t.Errorf("%s: MatMul %+v → %v; want 2 heads, Q·Kᵀ (scores [h·T, T]) transposed", c.Model, op, n.Slots[op.Out])
				}
			case model.OpSoftmax:
				if op.Heads != 2 {
					t.Errorf("%s: Softmax over %d groups; want 2", c.Model, op.Heads)
				}
			}
		}
		batchFirst := strings.Contains(c.Model, "batchfirst")
		want := map[model.OpKind]int{model.OpMatMul: 2, model.OpSoftmax: 1, model.OpLayerNorm: 2, model.OpCatTokens: 0, model.OpPixels: 0}
		if batchFirst {
			want[model.OpCatTokens], want[model.OpPixels] = 1, 1
		}
		for k, v := range want {
			if count[k] != v {
				t.Errorf("%s: %d %v ops; want %d", c.Model, count[k], k, v)
			}
		}
		roles := map[string]model.ParamKind{"pos": model.KindWeight, "ln1.weight": model.KindBNWeight, "ln1.bias": model.KindBNBias,
			"embed.weight": model.KindWeight, "fc2.bias": model.KindBias, "head.weight": model.KindWeight}
		if batchFirst {
			roles["cls"], roles["qkv.weight"] = model.KindWeight, model.KindWeight
		} else {
			roles["in_proj_weight"], roles["in_proj_bias"] = model.KindWeight, model.KindBias
		}
		for name, kind := range roles {
			if s := n.Spec(name); s == nil || s.Kind != kind {
				t.Errorf("%s: parameter %s: %+v; want kind %d", c.Model, name, s, kind)
			}
		}
	}
}

// TestONNXSwinGraph: the Swin block of enginetest.SwinGraphCases imports as the layers it is —
// one pixel map for the padding and the shift, one for the window partition, one for the
// reverse, the shift back and the crop, one per strided slice of patch merging; both products
// per window (4 windows of 9 tokens, 2 heads); the relative position bias as its table [25, 2]
// (a normalised parameter) read per element at entry index·2 + head, the same in every window;
// the mask a constant per element, not a parameter.
func TestONNXSwinGraph(t *testing.T) {
	cases, err := enginetest.SwinGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := model.LoadONNX(cases[0].Model, "")
	if err != nil {
		t.Fatal(err)
	}
	count := map[model.OpKind]int{}
	for _, op := range n.Ops {
		count[op.Kind]++
		switch {
		case op.Kind == model.OpMatMul && (op.Heads != 2 || op.Windows != 4):
			t.Errorf("MatMul %+v: want 2 heads in 4 windows", op)
		case op.Kind == model.OpArith && op.Weight != "":
			checkBiasIndex(t, op, n.Slots[op.In])
		case op.Kind == model.OpArith && len(op.Const) > 1 && len(op.Const) != 2*9*4*9:
			t.Errorf("mask of %d values; want one per element of [2·9, 4·9]", len(op.Const))
		}
	}
	want := map[model.OpKind]int{model.OpPixels: 6, model.OpMatMul: 2, model.OpSoftmax: 1, model.OpChannels: 3, model.OpConcat: 1, model.OpLayerNorm: 2}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%d %v ops; want %d", count[k], k, v)
		}
	}
	if s := n.Spec("relative_position_bias_table"); s == nil || s.Kind != model.KindWeight || len(s.Shape) != 2 {
		t.Errorf("relative position bias table: %+v; want a 2-dim weight", s)
	}
	if s := n.Spec("mask_ints"); s != nil {
		t.Errorf("the mask became a parameter: %+v", s)
	}
}

// checkBiasIndex checks the relative position bias's entry per element of the scores [2·9, 4·9]
// (channel: head·9 + key; pixel: window·9 + query): its head is the table's column, and the
// entry depends on the query and key alone.
func checkBiasIndex(t *testing.T, op model.Op, in [3]int) {
	t.Helper()
	c, hw := in[0], in[1]*in[2]
	if op.Weight != "relative_position_bias_table" || len(op.Perm) != c*hw || c != 18 || hw != 36 {
		t.Fatalf("bias %s over %v with %d indices; want the table over [18, 4, 9]", op.Weight, in, len(op.Perm))
	}
	for p := range hw {
		for ch := range c {
			e := op.Perm[p*c+ch]
			if e%2 != ch/9 || e < 0 || e >= 50 || e != op.Perm[(p%9)*c+ch] {
				t.Fatalf("element (pixel %d, channel %d) reads entry %d", p, ch, e)
			}
		}
	}
}
