package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWinogradVecTransforms compares the vector path's transforms (winoInputsVec, and
// winoOutputsVec with its bias, residual and ReLU) with the portable ones (winoInputs,
// winoOutputs, winoEpilogue) on images whose sides are and are not multiples of the tile, wider
// than one group of 16 tiles, for chunks of the whole batch and of tile rows that cross images:
// equal to 1e-6 of the largest value, and no pixel outside the chunk written.
func TestWinogradVecTransforms(t *testing.T) {
	if !winoVec() {
		t.Skip("no AVX-512 Winograd transforms in this build or on this CPU")
	}
	const cin, cout = 3, 5
	for _, c := range []struct{ h, w, nb, r0, r1 int }{
		{8, 8, 2, 0, 4}, {7, 7, 3, 0, 6}, {7, 7, 3, 1, 4}, {9, 13, 2, 2, 5},
		{5, 70, 2, 1, 4}, {14, 14, 1, 0, 4}, {32, 32, 1, 3, 8}, {3, 3, 4, 1, 3},
	} {
		t.Run(fmt.Sprintf("%dx%d_batch%d_rows%d-%d", c.h, c.w, c.nb, c.r0, c.r1), func(t *testing.T) {
			g := winoGeom{h: c.h, w: c.w, th: (c.h + 3) / 4, tw: (c.w + 3) / 4}
			rng := rand.New(rand.NewPCG(uint64(c.h), uint64(c.w)))
			hw, tiles := c.h*c.w, c.nb*g.tiles()
			ld := c.nb*hw + 5
			in := winoRand(rng, cin*ld)
			t0, nt := c.r0*g.tw, (c.r1-c.r0)*g.tw

			want := make([]float32, winoXi*cin*nt)
			winoInputs(want, in, ld, cin, g, t0, nt)
			ldv := winoLd(nt)
			v := make([]float32, winoXi*cin*ldv)
			strip := make([]float32, winoStripSize(nt))
			edges := make([]uint64, (nt+15)/16)
			winoInputsVec(v, strip, in, edges, ld, cin, g, c.r0, c.r1)
			got := make([]float32, len(want))
			for r := range winoXi * cin {
				copy(got[r*nt:][:nt], v[r*ldv:][:nt])
			}
			closeSlices(t, "inputs", got, want)

			m := winoRand(rng, winoXi*cout*tiles)
			bias, res := winoRand(rng, cout), winoRand(rng, cout*ld)
			ref := make([]float32, cout*ld)
			for i := range ref {
				ref[i] = -7 // (the rows' padding beyond nb·hw)
			}
			winoOutputs(ref, m, ld, cout, g, 0, tiles)
			for co := range cout {
				winoEpilogue(ref[co*ld:][:c.nb*hw], bias[co], res[co*ld:][:c.nb*hw], true)
			}
			mc := make([]float32, winoXi*cout*ldv) // the chunk's products
			for r := range winoXi * cout {
				copy(mc[r*ldv:][:nt], m[r*tiles+t0:][:nt])
			}
			out := make([]float32, cout*ld)
			for i := range out {
				out[i] = -7
			}
			winoOutputsVec(out, strip, mc, res, bias, ld, cout, g, c.r0, c.r1, true)
			for co := range cout {
				for b := range c.nb {
					for y := range c.h {
						r := b*g.th + y/4
						i := co*ld + b*hw + y*c.w
						if r < c.r0 || r >= c.r1 {
							for x, v := range out[i:][:c.w] {
								if v != -7 {
									t.Fatalf("channel %d image %d pixel (%d,%d) outside the chunk written: %g", co, b, y, x, v)
								}
							}
							copy(out[i:][:c.w], ref[i:][:c.w])
						}
					}
				}
			}
			closeSlices(t, "outputs", out, ref)
		})
	}
}

func winoRand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rng.Float32() - 1
	}
	return s
}

// closeSlices fails unless got and want differ by at most 1e-6 of want's largest magnitude.
func closeSlices(t *testing.T, what string, got, want []float32) {
	t.Helper()
	var big float64
	for _, w := range want {
		big = max(big, math.Abs(float64(w)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*big || math.IsNaN(d) {
			t.Fatalf("%s: element %d is %g, want %g (largest %g)", what, i, got[i], want[i], big)
		}
	}
}

// TestWinogradEnv: $LANDSCAPE_CPU_WINOGRAD=0 turns WinogradAuto off (no Winograd step, the kernel
// name without "+winograd", the default batch), and WinogradAuto on the vector path takes a
// 64-channel layer at 16×16 but not at 8×8 (winoVecPays), with a batch of at least 8.
func TestWinogradEnv(t *testing.T) {
	if !winoVec() {
		t.Skip("no AVX-512 Winograd transforms in this build or on this CPU")
	}
	for _, c := range []struct {
		hw   int
		env  string
		wino bool
	}{{16, "", true}, {16, "0", false}, {8, "", false}} {
		t.Run(fmt.Sprintf("%dx%d_env%q", c.hw, c.hw, c.env), func(t *testing.T) {
			t.Setenv(WinogradEnv, c.env)
			p := testProblem(t, "vgg9", 64, c.hw, 2) // 3×3 convolutions of 64 channels and more
			e, err := NewWith(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			first := -1
			for i, st := range e.steps {
				if st.kind == convShift && st.l.InShape[0] >= 64 && st.l.InShape[1] == c.hw {
					first = i
					break
				}
			}
			if first < 0 {
				t.Fatalf("vgg9 at %d×%d has no 3×3 layer of ≥ 64 channels at full size", c.hw, c.hw)
			}
			name := KernelName(Options{})
			if got := e.steps[first].wino; got != c.wino {
				t.Errorf("layer %d (%v): Winograd %v, want %v", first, e.steps[first].l.InShape, got, c.wino)
			}
			if c.env == "0" && (winoSteps(e) != 0 || strings.Contains(name, "winograd") || e.bmax != DefaultBatch(p.Plan)) {
				t.Errorf("%s=0: %d Winograd steps, kernel %q, batch %d", WinogradEnv, winoSteps(e), name, e.bmax)
			}
			if c.wino && (name != "avx512+winograd" || e.bmax < winoVecMinBatch) {
				t.Errorf("kernel %q, batch %d", name, e.bmax)
			}
		})
	}
}
