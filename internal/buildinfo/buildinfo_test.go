package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	in := Read()
	if in.GoVersion != runtime.Version() || in.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("go %q platform %q", in.GoVersion, in.Platform)
	}
	if len(in.Kernels) == 0 || in.Kernels[len(in.Kernels)-1] != "portable" || in.Kernel != in.Kernels[0] {
		t.Errorf("kernels %v, in use %q: want the best first and portable last", in.Kernels, in.Kernel)
	}
	if in.CPU == "" {
		t.Error("no CPU model")
	}
	if len(in.BF16Kernels) > 0 && in.BF16Kernel != in.BF16Kernels[0] || len(in.BF16Kernels) == 0 && in.BF16Kernel != in.Kernel {
		t.Errorf("bf16 kernels %v, in use %q (float32 kernel %q): want the best first, else the float32 kernel", in.BF16Kernels, in.BF16Kernel, in.Kernel)
	}
}

func TestString(t *testing.T) {
	in := Info{Version: "(devel)", Revision: "0123abc", Time: "2026-12-07T10:00:00Z", Modified: true,
		GoVersion: "go1.26.8", Platform: "darwin/arm64", CPU: "Apple M2", Kernels: []string{"neon", "portable"}, Kernel: "neon",
		BF16Kernels: []string{"neon-bf16"}, BF16Kernel: "neon-bf16"}
	s := in.String()
	for _, want := range []string{"commit 0123abc (2026-12-07T10:00:00Z) with uncommitted changes", "go1.26.8 darwin/arm64",
		"cpu:       Apple M2", "kernels:   neon, portable (in use: neon)", "bf16:      neon-bf16 (in use: neon-bf16)"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
}
