package enginetest

import (
	"fmt"
	"path/filepath"
	"testing"

	"landscape/engine"
)

// RunViTGraphsPrecision is RunViTGraphs for an engine computing in precision (fp32, tf32 or
// bf16, against LossTols[precision], as RunPrecision): the GPU engine's attention kernels.
func RunViTGraphsPrecision(t *testing.T, factory engine.Factory, precision string) {
	cases, err := ViTGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", filepath.Base(c.Model), precision), func(t *testing.T) { runCase(t, c, factory, precision) })
	}
}
