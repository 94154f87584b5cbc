package enginetest

import (
	"fmt"
	"path/filepath"
	"testing"

	"landscape/engine"
)

// RunExtGraphsPrecision is RunExtGraphs for an engine computing in precision (fp32, tf32 or
// bf16, against LossTols[precision], as RunPrecision).
func RunExtGraphsPrecision(t *testing.T, factory engine.Factory, precision string) {
	cases, err := ExtGraphCases(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s", filepath.Base(c.Model), c.DirType), func(t *testing.T) { runCase(t, c, factory, precision) })
	}
}
