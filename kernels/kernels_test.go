package kernels

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"landscape/kernels/internal/cuda2go"
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

// TestVerifyTellsPointersFromIntegers: a table with a pointer and a long long swapped (same
// sizes, so a size check passes) must fail the PTX check, in both directions.
func TestVerifyTellsPointersFromIntegers(t *testing.T) {
	for _, swap := range [][2]int{{0, 1}, {4, 5}} { // conv: in ↔ in_set_stride, w_set_stride ↔ res
		table := map[string]Kernel{}
		for n, k := range Kernels {
			table[n] = k
		}
		k := table["conv_tf32_bm32"]
		k.Params = slices.Clone(k.Params)
		k.Params[swap[0]], k.Params[swap[1]] = k.Params[swap[1]], k.Params[swap[0]]
		table[k.Name] = k
		err := verify(table)
		if err == nil || !strings.Contains(err.Error(), "conv_tf32_bm32") {
			t.Errorf("swapping parameters %v: %v, want conv_tf32_bm32 rejected", swap, err)
		}
	}
}

// TestGeneratedFilesUpToDate: regenerating from the .cu sources gives the committed files.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := cuda2go.Files(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Fatalf("%d files generated", len(files))
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what kernels/*.cu generate now: run go generate ./kernels", path)
		}
	}
}

func TestParseSignatures(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.cuh"), []byte("#define P_PARAMS \\\n const float *__restrict__ x, i64 n, \\\n int k\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m.cu"), []byte("LS_KERNEL void __launch_bounds__(T) k1(P_PARAMS) {}\nLS_KERNEL void\n  k2(double *out, float s) {}\n"), 0o644)
	ks, err := cuda2go.Parse(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].Name != "k1" || ks[0].Group != "P_PARAMS" || ks[1].Group != "k2" || ks[0].Module != "m" {
		t.Fatalf("parsed %+v", ks)
	}
	kinds := func(k cuda2go.Kernel) (s string) {
		for _, p := range k.Params {
			s += string(p.Kind)
		}
		return
	}
	if kinds(ks[0]) != "pli" || kinds(ks[1]) != "pf" || ks[0].Params[0].Name != "x" {
		t.Fatalf("kinds %q %q", kinds(ks[0]), kinds(ks[1]))
	}
	os.WriteFile(filepath.Join(dir, "m.cu"), []byte("LS_KERNEL void k3(unsigned short u) {}\n"), 0o644)
	if _, err := cuda2go.Parse(dir); err == nil || !strings.Contains(err.Error(), "k3") {
		t.Fatalf("unknown type: %v", err)
	}
}

// TestCubins: every module has an sm_80 and an sm_90 cubin (ELF, with every kernel of the
// module in its symbol names), and the architecture choice follows SASS compatibility.
func TestCubins(t *testing.T) {
	for _, m := range Modules() {
		for _, cc := range [][2]int{{8, 0}, {9, 0}} {
			b, arch, ok := Cubin(m, cc[0], cc[1])
			if !ok || !bytes.HasPrefix(b, []byte("\x7fELF")) {
				t.Fatalf("%s: no cubin for %d.%d", m, cc[0], cc[1])
			}
			if arch != fmt.Sprintf("sm_%d%d", cc[0], cc[1]) {
				t.Errorf("%s %d.%d: arch %s", m, cc[0], cc[1], arch)
			}
			for _, k := range Kernels {
				if k.Module == m && !bytes.Contains(b, []byte(k.Name+"\x00")) {
					t.Errorf("%s.%s.cubin lacks %s", m, arch, k.Name)
				}
			}
		}
	}
	for _, c := range []struct {
		major, minor int
		arch         string
	}{{8, 6, "sm_80"}, {8, 9, "sm_80"}, {9, 0, "sm_90"}, {7, 5, ""}, {10, 0, ""}} {
		_, arch, ok := Cubin("conv", c.major, c.minor)
		if arch != c.arch || ok != (c.arch != "") {
			t.Errorf("compute %d.%d: cubin %q (ok %v), want %q", c.major, c.minor, arch, ok, c.arch)
		}
	}
}

// TestParseEnumAndConvMeta: the enum reader joins continuation comments and refuses explicit
// values; a conv kernel's family, precision and tile come from its name, and a name whose tile
// is not the one the body instantiates is refused.
func TestParseEnumAndConvMeta(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "e.cuh")
	os.WriteFile(f, []byte("enum E {\n    F_A,  // first\n          // more\n    F_B,\n    F_FIELDS\n};\n"), 0o644)
	fs, err := cuda2go.ParseEnum(f, "E")
	if err != nil || len(fs) != 3 || fs[0].Comment != "first more" || fs[1].Name != "F_B" || fs[1].Comment != "" {
		t.Fatalf("ParseEnum: %+v, %v", fs, err)
	}
	os.WriteFile(f, []byte("enum E { F_A = 2, F_FIELDS };\n"), 0o644)
	if _, err := cuda2go.ParseEnum(f, "E"); err == nil {
		t.Error("an enum with an explicit value accepted")
	}
	os.WriteFile(filepath.Join(dir, "m.cu"), []byte("LS_KERNEL void conv2_tf32_bm32(int B) { conv_fast_mma<32, false>(B); }\n"), 0o644)
	ks, err := cuda2go.Parse(dir)
	if err != nil || len(ks) != 1 || ks[0].Family != "conv2" || ks[0].Precision != "tf32" || ks[0].Tile != 32 {
		t.Fatalf("conv metadata: %+v, %v", ks, err)
	}
	os.WriteFile(filepath.Join(dir, "m.cu"), []byte("LS_KERNEL void conv2_tf32_bm32(int B) { conv_fast_mma<16, false>(B); }\n"), 0o644)
	if _, err := cuda2go.Parse(dir); err == nil || !strings.Contains(err.Error(), "row tile 32") {
		t.Errorf("a name whose tile its body does not instantiate: %v", err)
	}
	for _, k := range Kernels {
		if (k.Group == "CONV_PARAMS") != (k.Family != "") {
			t.Errorf("%s (parameters %s) has family %q", k.Name, k.Group, k.Family)
		}
	}
}

// launchThreads is the block size package gpu launches kernel k with where the kernel fixes one
// (__launch_bounds__), 0 for a grid-stride kernel that takes any block size.
func launchThreads(k Kernel) int {
	switch {
	case k.Family != "":
		return ConvThreads(k.Precision)
	case k.Module == "loss":
		return LossThreads
	case k.Name == "matmul_heads_tf32" || k.Name == "matmul_heads_bf16":
		return BmmThreads
	}
	return 0
}

// TestLaunchThreadsMatchPTX: every kernel compiled with __launch_bounds__ (.maxntid in its
// PTX) is launched with exactly that block size (ConvThreads, LossThreads, BmmThreads), and
// every kernel launched with a fixed size has such a bound: the block sizes Go keeps are
// checked against the kernels themselves.
func TestLaunchThreadsMatchPTX(t *testing.T) {
	bounds := map[string]int{}
	for _, m := range Modules() {
		src, err := PTX(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range maxntidRe.FindAllStringSubmatch(src, -1) {
			n, _ := strconv.Atoi(e[2])
			bounds[e[1]] = n
		}
	}
	if len(bounds) == 0 {
		t.Fatal("no .maxntid in the PTX")
	}
	for name, k := range Kernels {
		if got, want := launchThreads(k), bounds[name]; got != want {
			t.Errorf("%s: launched with %d threads, PTX .maxntid %d", name, got, want)
		}
	}
}

// maxntidRe matches an entry and the block size of its .maxntid directive.
var maxntidRe = regexp.MustCompile(`\.entry\s+(\w+)\s*\([^)]*\)\s*\.maxntid\s+(\d+),\s*1,\s*1`)

// TestTilesMatchSources: the tile sizes the Go side computes grids with are the kernels' own
// constants: ConvPixelTile every conv kernel's BN, BmmTile bmm.cu's BI and BJ, LossThreads
// loss.cu's LOSS_THREADS.
func TestTilesMatchSources(t *testing.T) {
	checks := []struct {
		file string
		re   string
		want int
	}{
		{"conv.cu", `constexpr int BN = (\d+)`, ConvPixelTile},
		{"conv_mma.cu", `constexpr int BN = (\d+)`, ConvPixelTile},
		{"conv_fast.cu", `constexpr int BN = (\d+)`, ConvPixelTile},
		{"conv_halo.cu", `constexpr int BN = (\d+)`, ConvPixelTile},
		{"bmm.cu", `constexpr int BI = (\d+)`, BmmTile},
		{"bmm.cu", `constexpr int BI = \d+, BJ = (\d+)`, BmmTile},
		{"bmm.cu", `constexpr int BI = \d+, BJ = \d+, BK = \d+, THREADS = (\d+)`, BmmThreads},
		{"loss.cu", `#define LOSS_THREADS (\d+)`, LossThreads},
	}
	for _, c := range checks {
		src, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(c.re).FindSubmatch(src)
		if m == nil {
			t.Errorf("%s: no %s", c.file, c.re)
			continue
		}
		if got, _ := strconv.Atoi(string(m[1])); got != c.want {
			t.Errorf("%s: %s is %d, the Go side uses %d", c.file, c.re, got, c.want)
		}
	}
}
