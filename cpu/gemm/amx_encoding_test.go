//go:build !noasm && amd64

package gemm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"landscape/internal/testenv"
)

// TestAMXEncoding disassembles the machine code of amxPanel, amxPanel16 and dpbf16Panel (read
// from memory: `go test` strips the symbols of its binaries) with binutils' objdump and checks
// that the bytes amx_amd64.s and dpbf16_amd64.s write for the AMX and AVX512-BF16 instructions
// (Go's assembler has no mnemonics for them) decode to the instructions their comments name, in
// order. objdump comes with binutils (scripts/deps.sh); where it is missing the test skips, or
// fails under CI.
func TestAMXEncoding(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		testenv.Missing(t, testenv.Torch, "objdump (Debian's binutils) is not installed")
	}
	load := []string{
		"tileloadd (%rax,%rsi,1),%tmm4",
		"tileloadd (%rdx,%rdi,1),%tmm6",
		"tileloadd 0x40(%rdx,%rdi,1),%tmm7",
		"tdpbf16ps %tmm6,%tmm4,%tmm0",
	}
	cases := []struct {
		name string
		code *byte
		want []string
	}{
		{"amxPanel", amxPanelCode(), concat(
			[]string{"ldtilecfg (%rax)", "tilezero %tmm0", "tilezero %tmm1", "tilezero %tmm2", "tilezero %tmm3"},
			load,
			[]string{
				"tileloadd (%rbx,%rsi,1),%tmm5",
				"tdpbf16ps %tmm7,%tmm4,%tmm1",
				"tdpbf16ps %tmm6,%tmm5,%tmm2",
				"tdpbf16ps %tmm7,%tmm5,%tmm3",
				"tilestored %tmm0,(%r10,%rdi,1)",
				"tilestored %tmm1,0x40(%r10,%rdi,1)",
				"tilestored %tmm2,0x800(%r10,%rdi,1)",
				"tilestored %tmm3,0x840(%r10,%rdi,1)",
				"tilerelease",
			})},
		{"amxPanelTiled", amxPanelTiledCode(), concat(
			[]string{"ldtilecfg (%rax)", "tilezero %tmm0", "tilezero %tmm1", "tilezero %tmm2", "tilezero %tmm3"},
			load,
			[]string{
				"tileloadd (%rbx,%rsi,1),%tmm5",
				"tdpbf16ps %tmm7,%tmm4,%tmm1",
				"tdpbf16ps %tmm6,%tmm5,%tmm2",
				"tdpbf16ps %tmm7,%tmm5,%tmm3",
				"tilestored %tmm0,(%r10,%rdi,1)",
				"tilestored %tmm1,0x40(%r10,%rdi,1)",
				"tilestored %tmm2,0x800(%r10,%rdi,1)",
				"tilestored %tmm3,0x840(%r10,%rdi,1)",
				"tilerelease",
			})},
		{"amxPanel16", amxPanel16Code(), concat(
			[]string{"ldtilecfg (%rax)", "tilezero %tmm0", "tilezero %tmm1"},
			load,
			[]string{
				"tdpbf16ps %tmm7,%tmm4,%tmm1",
				"tilestored %tmm0,(%r10,%rdi,1)",
				"tilestored %tmm1,0x40(%r10,%rdi,1)",
				"tilerelease",
			})},
	}
	var dp []string
	for i := range 8 {
		for h := range 2 {
			dp = append(dp, fmt.Sprintf("vdpbf16ps %%zmm%d,%%zmm%d,%%zmm%d", 18+i, 16+h, 2*i+h))
		}
	}
	cases = append(cases, struct {
		name string
		code *byte
		want []string
	}{"dpbf16Panel", dpbf16PanelCode(), dp})
	for _, c := range cases {
		got := disassemble(t, objdump, c.name, c.code)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s's AMX instructions, as objdump reads them:\n%s\nwant:\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// disassemble returns the tile and VDPBF16PS instructions of the function whose code starts at code, up to
// its first ret, as objdump prints them (spaces squeezed). The functions are under 300 bytes;
// what follows is cut at the ret.
func disassemble(t *testing.T, objdump, name string, code *byte) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name+".bin")
	if err := os.WriteFile(bin, unsafe.Slice(code, 512), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "i386:x86-64", "--no-show-raw-insn", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
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
			t.Errorf("%s: objdump cannot decode: %s", name, l)
		}
		if strings.Contains(ins, "tile") || strings.Contains(ins, "tdp") || strings.Contains(ins, "vdpbf16") {
			got = append(got, ins)
		}
	}
	return got
}
