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

// RunSwinGraphsPrecision runs the conformance checks on SwinGraphCases (windowed products,
// zero-padded pixel maps, the relative position bias gathered per score, the shifted-window
// mask) in a precision of Precisions, against LossTols.
func RunSwinGraphsPrecision(t *testing.T, factory engine.Factory, precision string) {
	cases, err := SwinGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", filepath.Base(c.Model), precision), func(t *testing.T) { runCase(t, c, factory, precision) })
	}
}
