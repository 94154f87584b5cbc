//go:build !noasm && amd64

package gemm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"landscape/internal/testenv"
)

// TestAMXEncoding disassembles amxPanel's machine code (read from memory: `go test` strips the
// symbols of its binaries) with binutils' objdump and
// checks that the bytes amx_amd64.s writes for the AMX instructions (Go's assembler has no
// mnemonics for them) decode to the instructions its comments name, in order. objdump comes
// with binutils (scripts/deps.sh); where it is missing the test skips, or fails under CI.
func TestAMXEncoding(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		testenv.Missing(t, testenv.Torch, "objdump (Debian's binutils) is not installed")
	}
	// amxPanel is about 250 bytes long; what follows it decodes as something and is cut at
	// the first ret.
	code := unsafe.Slice(amxPanelCode(), 512)
	bin := filepath.Join(t.TempDir(), "amxPanel.bin")
	if err := os.WriteFile(bin, code, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "i386:x86-64", "--no-show-raw-insn", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
	want := []string{
		"ldtilecfg (%rax)",
		"tilezero %tmm0", "tilezero %tmm1", "tilezero %tmm2", "tilezero %tmm3",
		"tileloadd (%rax,%rsi,1),%tmm4",
		"tileloadd (%rdx,%rdi,1),%tmm6",
		"tileloadd 0x40(%rdx,%rdi,1),%tmm7",
		"tdpbf16ps %tmm6,%tmm4,%tmm0",
		"tileloadd (%rbx,%rsi,1),%tmm5",
		"tdpbf16ps %tmm7,%tmm4,%tmm1",
		"tdpbf16ps %tmm6,%tmm5,%tmm2",
		"tdpbf16ps %tmm7,%tmm5,%tmm3",
		"tilestored %tmm0,(%r10,%rdi,1)",
		"tilestored %tmm1,0x40(%r10,%rdi,1)",
		"tilestored %tmm2,0x800(%r10,%rdi,1)",
		"tilestored %tmm3,0x840(%r10,%rdi,1)",
		"tilerelease",
	}
	// Instruction lines: "  addr:\tmnemonic operands"; keep the tile ones, spaces squeezed.
	line := regexp.MustCompile(`^\s*[0-9a-f]+:\s+(.*)$`)
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ins := strings.Join(strings.Fields(m[1]), " ")
		if ins == "ret" {
			break
		}
		if strings.Contains(ins, "(bad)") {
			t.Errorf("objdump cannot decode: %s", l)
		}
		if strings.Contains(ins, "tile") || strings.Contains(ins, "tdp") {
			got = append(got, ins)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("amxPanel's AMX instructions, as objdump reads them:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
