package main

import (
	"path/filepath"
	"strings"
	"testing"

	"landscape/internal/enginetest"
)

// TestInspect: `landscape inspect` prints the plan of a ConvNeXt-style graph (LayerNorm with its
// ε, the NHWC Linear as a 1×1 conv with GELU, parameter roles) and of a MobileNet-style one
// (batch norm folded with ε 1e-3, HardSwish fused, running statistics); an unsupported graph
// prints every unsupported operator and exits 1.
func TestInspect(t *testing.T) {
	cases, err := enginetest.ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "inspect", cases[2].Model)
	for _, want := range []string{"input [N, 3, 9, 11]", "layernorm", "[ε 1e-06]", "blk.fc1.weight (+bias)  [gelu]"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect convnext13 lacks %q:\n%s", want, out)
		}
	}
	for param, role := range map[string]string{"blk.layer_scale": "[8, 1, 1] normalised", "blk.ln.weight": "[8] ≤1-dim", "fc.weight": "[10, 8] normalised"} {
		if !hasLine(out, param, role) {
			t.Errorf("inspect convnext13: no line %s … %s:\n%s", param, role, out)
		}
	}
	out = mustRun(t, "inspect", cases[0].Model)
	if !strings.Contains(out, "[batchnorm bn1 (ε 0.001), hardswish]") || !hasLine(out, "bn2.running_var", "[8] running statistic") {
		t.Errorf("inspect mobile:\n%s", out)
	}
	b := enginetest.NewGraph(-1, 2, 4, 4)
	x := b.Node("Conv", []string{"input", b.Init("c.weight", false, 4, 2, 3, 3)}, enginetest.AInts("pads", 1, 1, 1, 1))
	x = b.Node("LRN", []string{b.Node("LRN", []string{x}, enginetest.AInt("size", 3))}, enginetest.AInt("size", 3))
	x = b.Node("Gemm", []string{b.Node("Flatten", []string{b.Node("GlobalAveragePool", []string{x})}), b.Init("fc.weight", false, 3, 4)}, enginetest.AInt("transB", 1))
	path := filepath.Join(t.TempDir(), "soft.onnx")
	if err := b.Write(path, x, 3); err != nil {
		t.Fatal(err)
	}
	o, e, code := run(t, "inspect", path)
	if code != 1 || !strings.Contains(o, "NOT SUPPORTED") || !strings.Contains(o, `LRN ×2 (first: "/LRN_`) || !strings.Contains(o, "c.weight") {
		t.Errorf("inspect of an unsupported graph: exit %d\n%s\n%s", code, o, e)
	}
}

// hasLine reports whether some line of out, its fields joined by single spaces, starts with
// first and ends with last.
func hasLine(out, first, last string) bool {
	for _, l := range strings.Split(out, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if strings.HasPrefix(l, first+" ") && strings.HasSuffix(l, " "+last) {
			return true
		}
	}
	return false
}
