package gemm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestGeneratedKernels runs each generator in a scratch directory and checks
// that it writes the committed assembly byte for byte: an edit to a
// generator that was not regenerated, or a hand edit to a generated file,
// fails here.
func TestGeneratedKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generators with the go command (-short)")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to run the generators")
		}
	}
	host, err := exec.Command(gobin, "env", "GOHOSTARCH").Output()
	if err != nil || strings.TrimSpace(string(host)) != runtime.GOARCH {
		// A cross-compiled test under an emulator: the host's run checks the same files.
		t.Skipf("test built for %s, host %s", runtime.GOARCH, strings.TrimSpace(string(host)))
	}
	gens := map[string][]string{
		"gen_kernels.go":   {"kernel_avx512_amd64.s", "kernel_avx2_amd64.s"},
		"gen_neon.go":      {"kernel_neon_arm64.s"},
		"gen_bf16_neon.go": {"kernel_bf16_arm64.s"},
	}
	for gen, outs := range gens {
		dir := t.TempDir()
		src, err := os.ReadFile(gen)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, gen), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(gobin, "run", gen)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GO111MODULE=off") // the generators use only the standard library
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go run %s: %v\n%s", gen, err, out)
		}
		for _, name := range outs {
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s did not write %s: %v", gen, name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what %s writes: run go generate in cpu/gemm", name, gen)
			}
		}
	}
}
