package cuda2go

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnumConsts: a C enum becomes a Go type with one constant per field (its index), a count
// and the C names; a field without the enum's prefix is refused.
func TestEnumConsts(t *testing.T) {
	f := filepath.Join(t.TempDir(), "e.cuh")
	if err := os.WriteFile(f, []byte("enum Mode {\n    MODE_OFF, // nothing\n    MODE_FAST_ON, // both\n};\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := enumConsts(f, []cEnum{{"Mode", "MODE_", "Mode"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ModeOff    Mode = 0 // MODE_OFF: nothing", "ModeFastOn Mode = 1 // MODE_FAST_ON: both",
		"const ModeCount = 2", `"MODE_OFF", "MODE_FAST_ON"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("generated code lacks %q:\n%s", want, b)
		}
	}
	if _, err := enumConsts(f, []cEnum{{"Mode", "M0_", "Mode"}}); err == nil || !strings.Contains(err.Error(), "lacks the prefix") {
		t.Errorf("a field without the prefix: %v", err)
	}
}
