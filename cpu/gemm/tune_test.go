package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTune compares implementations on the benchmark shapes, interleaving
// them and keeping the best of several rounds to resist interference. It
// runs only with GEMM_TUNE=impl1,impl2,... set.
func TestTune(t *testing.T) {
	env := os.Getenv("GEMM_TUNE")
	if env == "" {
		t.Skip("set GEMM_TUNE")
	}
	names := strings.Split(env, ",")
	saved := current
	defer func() { current = saved }()
	filter := os.Getenv("GEMM_SHAPES")
	var out strings.Builder
	fmt.Fprintf(&out, "%-22s", "shape")
	for _, n := range names {
		fmt.Fprintf(&out, "%10.10s", strings.TrimPrefix(n, "avx512-"))
	}
	out.WriteString("\n")
	for _, s := range benchShapes {
		if filter != "" && !strings.Contains(s.name(), filter) {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 1))
		a := make([]float32, s.m*s.k)
		bb := make([]float32, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = rng.Float32()
		}
		for i := range bb {
			bb[i] = rng.Float32()
		}
		ldb := s.n
		if s.transB {
			ldb = s.k
		}
		best := make([]float64, len(names))
		var w Workspace
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		reps := max(1, int(2e6/flops*100))
		for round := 0; round < 7; round++ {
			for i, n := range names {
				setTuneImpl(t, n)
				w.Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
				t0 := time.Now()
				for r := 0; r < reps; r++ {
					w.Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
				}
				g := flops * float64(reps) / time.Since(t0).Seconds() / 1e9
				best[i] = max(best[i], g)
			}
		}
		runtime.GC()
		fmt.Fprintf(&out, "%-22s", s.name())
		for _, g := range best {
			fmt.Fprintf(&out, "%10.1f", g)
		}
		out.WriteString("\n")
	}
	t.Log("\n" + out.String())
}

// setTuneImpl selects an implementation given as name[:kc=N][:mc=N][:nc=N].
func setTuneImpl(t *testing.T, spec string) {
	parts := strings.Split(spec, ":")
	if !setImpl(parts[0]) {
		t.Fatalf("no impl %s", parts[0])
	}
	im := *current
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		x, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("bad %q", p)
		}
		switch k {
		case "kc":
			im.kc = x
		case "mc":
			im.mc = x
		case "nc":
			im.nc = x
		default:
			t.Fatalf("bad %q", p)
		}
	}
	current = &im
}
