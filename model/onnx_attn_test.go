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
