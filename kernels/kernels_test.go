package kernels

import (
	"strings"
	"testing"
)

func TestSignaturesMatchPTX(t *testing.T) {
	if err := Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestEveryModuleTargetsSM80(t *testing.T) {
	for _, m := range Modules() {
		src, err := PTX(m)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, ".target sm_80") || !strings.Contains(src, ".address_size 64") {
			t.Errorf("%s.ptx is not 64-bit PTX for sm_80", m)
		}
	}
}

func TestEntryParamSizes(t *testing.T) {
	got := EntryParamSizes(`.visible .entry k(
	.param .u64 k_param_0,
	.param .u32 k_param_1,
	.param .f32 k_param_2
)
{`)
	if s := got["k"]; len(s) != 3 || s[0] != 8 || s[1] != 4 || s[2] != 4 {
		t.Fatalf("sizes %v", got)
	}
}
