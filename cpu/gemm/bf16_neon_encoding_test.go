package gemm

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"landscape/internal/testenv"
)

// TestBF16NEONEncoding checks the WORDs of kernel_bf16_arm64.s (BFDOT and TRN2, which Go's arm64
// assembler lacks) against binutils' aarch64 disassembler: each word, written to a raw binary
// and disassembled by `objdump -D -b binary -m aarch64`, must read as the instruction its
// comment names. It runs on any host (the file is read as text); the objdump comes with
// Debian's binutils-aarch64-linux-gnu (scripts/deps.sh): where it is missing the test skips, or
// fails under CI.
func TestBF16NEONEncoding(t *testing.T) {
	objdump := aarch64Objdump()
	if objdump == "" {
		testenv.Missing(t, testenv.Torch, "no objdump for aarch64 (Debian's binutils-aarch64-linux-gnu)")
	}
	src, err := os.ReadFile("kernel_bf16_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`WORD \$0x([0-9a-f]{8}) // (.*)`)
	var code []byte
	var want []string
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		w, _ := strconv.ParseUint(m[1], 16, 32)
		code = binary.LittleEndian.AppendUint32(code, uint32(w))
		want = append(want, m[2])
	}
	if len(want) != 27 {
		t.Fatalf("%d WORDs in kernel_bf16_arm64.s, want the kernel's 24 BFDOTs and the packer's 3 TRN2s", len(want))
	}
	bin := filepath.Join(t.TempDir(), "code.bin")
	if err := os.WriteFile(bin, code, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "aarch64", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", objdump, err, out)
	}
	// Lines "   0:	4f58f300 	bfdot	v0.4s, v24.8h, v24.2h[0]".
	line := regexp.MustCompile(`(?m)^\s*[0-9a-f]+:\s+[0-9a-f]{8}\s+(\S+)\s+(.*)$`)
	var got []string
	for _, m := range line.FindAllStringSubmatch(string(out), -1) {
		got = append(got, m[1]+" "+strings.TrimSpace(m[2]))
	}
	if len(got) != len(want) {
		t.Fatalf("objdump decoded %d instructions, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("word %d (%#x): objdump reads %q, the comment says %q", i, binary.LittleEndian.Uint32(code[4*i:]), got[i], want[i])
		}
	}
}

// aarch64Objdump returns an objdump that disassembles aarch64 code, or "".
func aarch64Objdump() string {
	if p, err := exec.LookPath("aarch64-linux-gnu-objdump"); err == nil {
		return p
	}
	if p, err := exec.LookPath("objdump"); err == nil {
		if out, err := exec.Command(p, "-i").Output(); err == nil && strings.Contains(string(out), "aarch64") {
			return p
		}
	}
	return ""
}
