package model

import (
	"slices"
	"testing"
)

// TestPaperNames: the paper's model_loader names build the same networks as the zoo's.
func TestPaperNames(t *testing.T) {
	cfg := Config{InC: 3, HW: 32, Classes: 10}
	for paper, zoo := range map[string]string{
		"resnet20_noshort": "resnet20-noshort", "resnet56": "resnet56", "wrn56_2": "wrn56-2",
		"wrn56_4_noshort": "wrn56-4-noshort", "resnet110_noshort": "resnet110-noshort",
	} {
		a, err := Build(paper, cfg)
		if err != nil {
			t.Fatalf("Build(%q): %v", paper, err)
		}
		b, err := Build(zoo, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != zoo || len(a.Ops) != len(b.Ops) || !slices.EqualFunc(a.Params, b.Params, func(x, y ParamSpec) bool {
			return x.Name == y.Name && slices.Equal(x.Shape, y.Shape)
		}) {
			t.Errorf("Build(%q) = %s with %d ops, %d params; Build(%q) has %d and %d", paper, a.Name, len(a.Ops), len(a.Params), zoo, len(b.Ops), len(b.Params))
		}
	}
	noshort, _ := Build("resnet20_noshort", cfg)
	short, _ := Build("resnet20", cfg)
	adds := func(n *Net) (k int) {
		for _, op := range n.Ops {
			if op.Kind == OpAdd {
				k++
			}
		}
		return k
	}
	if adds(noshort) != 0 || adds(short) == 0 {
		t.Errorf("resnet20_noshort has %d residual adds, resnet20 %d: want 0 and some", adds(noshort), adds(short))
	}
	for _, bad := range []string{"resnet20_c4", "wrn56_2_extra", "vgg9_noshort"} {
		if Canonical(bad) != bad {
			t.Errorf("Canonical(%q) = %q, want it unchanged", bad, Canonical(bad))
		}
	}
}
