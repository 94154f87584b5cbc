package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tiledConv is a 3×3 stride-1 convolution with padding 1 of cin channels (a multiple of 32)
// over the images of g, its input stored as channel pairs in g's positions (as a Tiled B) and
// its weights in the Tiled order of k: ((tap·G + group)·16 + pair)·2 + half, channel
// 2·(16·group + pair) + half, G = cin/32.
type tiledConv struct {
	g      Grid
	cin, m int
	in     [][]float32 // [channel][pixel], plain order
	w      [][]float32 // [out][channel·9 + tap]
	b      Tiled
	a      []float32 // m×9·cin in the Tiled order
}

func newTiledConv(rng *rand.Rand, g Grid, cin, m int) *tiledConv {
	tc := &tiledConv{g: g, cin: cin, m: m}
	px := g.Images * g.H * g.W
	rw := g.W + 1
	org := rw + 1 // position 0's word: room for the shift of (−1, −1)
	ld := org + g.Cols() + rw + 1 + 64
	tc.b = Tiled{Data: make([]uint32, cin/2*ld), Ld: ld}
	tc.in = make([][]float32, cin)
	for c := range cin {
		tc.in[c] = make([]float32, px)
		for p := range px {
			tc.in[c][p] = RoundBF16(rng.Float32()*2 - 1)
		}
	}
	for c := range cin {
		for p, v := range tc.in[c] {
			b, y, x := p/(g.H*g.W), p%(g.H*g.W)/g.W, p%g.W
			wd := &tc.b.Data[c/2*ld+org+g.Pos(b, y, x)]
			if c%2 == 0 {
				*wd |= math.Float32bits(v) >> 16
			} else {
				*wd |= math.Float32bits(v) &^ 0xffff
			}
		}
	}
	groups := cin / 32
	for tap := range 9 {
		dy, dx := tap/3-1, tap%3-1
		for gr := range groups {
			tc.b.Off = append(tc.b.Off, int32(org+dy*rw+dx+16*gr*ld))
		}
	}
	k := 9 * cin
	tc.w = make([][]float32, m)
	tc.a = make([]float32, m*k)
	for i := range m {
		tc.w[i] = make([]float32, k)
		for j := range tc.w[i] {
			tc.w[i][j] = RoundBF16(rng.Float32()*2 - 1)
		}
		for tap := range 9 {
			for gr := range groups {
				for q := range 16 {
					for h := range 2 {
						c := 2*(16*gr+q) + h
						tc.a[i*k+((tap*groups+gr)*16+q)*2+h] = tc.w[i][c*9+tap]
					}
				}
			}
		}
	}
	return tc
}

// ref returns output i at pixel p in float64 and the sum of the terms' magnitudes.
func (tc *tiledConv) ref(i, p int) (sum, mag float64) {
	g := tc.g
	b, y, x := p/(g.H*g.W), p%(g.H*g.W)/g.W, p%g.W
	for c := range tc.cin {
		for tap := range 9 {
			yy, xx := y+tap/3-1, x+tap%3-1
			if yy < 0 || yy >= g.H || xx < 0 || xx >= g.W {
				continue
			}
			v := float64(tc.w[i][c*9+tap]) * float64(tc.in[c][(b*g.H+yy)*g.W+xx])
			sum += v
			mag += math.Abs(v)
		}
	}
	return sum, mag
}

// TestFusedBF16Tiled checks FusedBF16Tiled with every implementation and loop order against
// the convolution in float64 (float32 sums: within 1e-5 of the terms' magnitudes; rounded
// results within one bfloat16 step), on grids whose rows split the 32-column panels
// anywhere (widths 1 to 33) and partial last panels, m a multiple of 32 (the AMX kernel) or
// not (the packed path). Its pairs must be those of its rounded C at the pixels' positions,
// and nothing else of C or the pairs may be written; with only pairs stored the residual is
// read as pairs.
func TestFusedBF16Tiled(t *testing.T) {
	forEachBF16Order(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		var w Workspace
		for _, c := range []struct {
			g      Grid
			cin, m int
		}{
			{Grid{1, 1, 1}, 32, 32},
			{Grid{2, 3, 5}, 32, 64},
			{Grid{3, 7, 7}, 64, 32},
			{Grid{1, 4, 33}, 32, 48},
			{Grid{2, 5, 17}, 96, 96},
			{Grid{1, 2, 31}, 32, 16},
		} {
			tc := newTiledConv(rng, c.g, c.cin, c.m)
			for _, mode := range []int{0, 1, 2} { // C only, C and pairs, pairs only
				tiledCase(t, rng, &w, tc, mode)
			}
		}
	})
}

func tiledCase(t *testing.T, rng *rand.Rand, w *Workspace, tc *tiledConv, mode int) {
	t.Helper()
	g, m := tc.g, tc.m
	px := g.Images * g.H * g.W
	ldc := px + 3
	bias := randomRow(rng, m)
	res := randomRow(rng, m*ldc)
	var c []float32
	if mode < 2 {
		c = filled(make([]float32, m*ldc), tiledSentinel)
	}
	var pc []uint32
	ldp := roundUp16(g.Cols()) + 5
	if mode > 0 {
		pc = filled(make([]uint32, m/2*ldp), 0xdeadbeef)
	}
	var bw BF16Weights
	bw.Pack(m, 9*tc.cin, tc.a, 9*tc.cin)
	relu, round := mode != 1, mode > 0
	if mode == 2 { // the residual as pairs at the positions, of the same bfloat16 values
		resp := residualPairs(g, m, px, res, ldc, ldp)
		w.FusedBF16Tiled(&bw, g, &tc.b, c, ldc, bias, nil, resp, ldp, relu, round, pc, ldp)
		// Bit for bit what the same residual in float32 gives.
		pf := make([]uint32, len(pc))
		copy(pf, pc)
		w.FusedBF16Tiled(&bw, g, &tc.b, c, ldc, bias, res, nil, ldc, relu, round, pf, ldp)
		for i := range pc {
			if pc[i] != pf[i] {
				t.Fatalf("%v m=%d: pair word %d = %#x with the residual as pairs, %#x as floats", g, m, i, pc[i], pf[i])
			}
		}
	} else {
		w.FusedBF16Tiled(&bw, g, &tc.b, c, ldc, bias, res, nil, ldc, relu, round, pc, ldp)
	}
	got := tiledOutputs(g, m, px, c, ldc, pc, ldp)
	checkTiledOutputs(t, tc, mode, got, c, ldc, bias, res, relu, round)
	if pc != nil {
		checkGridPairs(t, g, m, px, got, pc, ldp)
	}
}

// tiledSentinel marks the words of C a tiled product must not write.
const tiledSentinel = -7.5

func randomRow(rng *rand.Rand, n int) []float32 {
	r := make([]float32, n)
	for i := range r {
		r[i] = rng.Float32() - 0.5
	}
	return r
}

func filled[T any](s []T, v T) []T {
	for i := range s {
		s[i] = v
	}
	return s
}

// residualPairs rounds res (m×px at stride ldc) to bfloat16 in place and returns it as channel
// pairs at the grid's positions (stride ldp).
func residualPairs(g Grid, m, px int, res []float32, ldc, ldp int) []uint32 {
	resp := make([]uint32, m/2*ldp)
	for i := range res {
		res[i] = RoundBF16(res[i])
	}
	for i := range m {
		for p := range px {
			b, y, x := p/(g.H*g.W), p%(g.H*g.W)/g.W, p%g.W
			wd := &resp[i/2*ldp+g.Pos(b, y, x)]
			if i%2 == 0 {
				*wd |= math.Float32bits(res[i*ldc+p]) >> 16
			} else {
				*wd |= math.Float32bits(res[i*ldc+p]) &^ 0xffff
			}
		}
	}
	return resp
}

// tiledOutputs returns C's results (m×px), or, without C, the pairs' halves.
func tiledOutputs(g Grid, m, px int, c []float32, ldc int, pc []uint32, ldp int) []float32 {
	got := make([]float32, m*px)
	for i := range m {
		for p := range px {
			if c != nil {
				got[i*px+p] = c[i*ldc+p]
				continue
			}
			b, y, x := p/(g.H*g.W), p%(g.H*g.W)/g.W, p%g.W
			got[i*px+p] = math.Float32frombits(pc[i/2*ldp+g.Pos(b, y, x)] >> (16 * (i % 2)) << 16)
		}
	}
	return got
}

// checkTiledOutputs compares got with the float64 convolution plus bias and residual (ReLU'd,
// bfloat16-rounded where asked) and checks that C beyond the pixels was not written.
func checkTiledOutputs(t *testing.T, tc *tiledConv, mode int, got, c []float32, ldc int, bias, res []float32, relu, round bool) {
	t.Helper()
	g, m := tc.g, tc.m
	px := g.Images * g.H * g.W
	for i := range m {
		for p := range px {
			sum, mag := tc.ref(i, p)
			want := sum + float64(bias[i]) + float64(res[i*ldc+p])
			if relu {
				want = math.Max(want, 0)
			}
			tol := 1e-5 * (mag + 1)
			if round {
				tol += math.Abs(want) / 128
			}
			if v := got[i*px+p]; math.Abs(float64(v)-want) > tol || round && v != RoundBF16(v) {
				t.Fatalf("%v cin=%d m=%d mode=%d: out %d pixel %d = %g, want %g ± %g", g, tc.cin, m, mode, i, p, v, want, tol)
			}
		}
		for j := px; c != nil && j < ldc; j++ {
			if c[i*ldc+j] != tiledSentinel {
				t.Fatalf("%v mode=%d: C[%d][%d] = %g beyond the pixels was written", g, mode, i, j, c[i*ldc+j])
			}
		}
	}
}

// checkGridPairs checks that the pairs at the pixels' positions are those of vals (m×px) and
// that every other word is still 0xdeadbeef.
func checkGridPairs(t *testing.T, g Grid, m, px int, vals []float32, pc []uint32, ldp int) {
	t.Helper()
	pixel := map[int]int{}
	for p := range px {
		b, y, x := p/(g.H*g.W), p%(g.H*g.W)/g.W, p%g.W
		pixel[g.Pos(b, y, x)] = p
	}
	for r := range m / 2 {
		for j := range ldp {
			wd := pc[r*ldp+j]
			p, ok := pixel[j]
			want := uint32(0xdeadbeef)
			if ok {
				want = math.Float32bits(vals[2*r*px+p])>>16 | math.Float32bits(vals[(2*r+1)*px+p])&^0xffff
			}
			if wd != want {
				t.Fatalf("%v: pair row %d word %d (pixel %v) = %#x, want %#x", g, r, j, ok, wd, want)
			}
		}
	}
}

// TestFusedBF16ToPairsGrid checks FusedBF16ToPairs storing its pairs into a Grid: the pairs of
// its rounded C at the pixels' positions, nothing else written, C (with bias and residual) as
// without the grid.
func TestFusedBF16ToPairsGrid(t *testing.T) {
	forEachBF16Order(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		var w Workspace
		for _, g := range []Grid{{1, 3, 5}, {2, 7, 7}, {3, 2, 33}, {1, 1, 1}} {
			for _, m := range []int{16, 64} {
				px := g.Images * g.H * g.W
				n := roundUp16(px)
				k := 40
				gb := randomGathered(rng, n, k)
				RoundBF16s(gb.Data)
				a := make([]float32, m*k)
				for i := range a {
					a[i] = RoundBF16(rng.Float32()*2 - 1)
				}
				bias, res := make([]float32, m), make([]float32, m*n)
				for i := range bias {
					bias[i] = rng.Float32() - 0.5
				}
				for i := range res {
					res[i] = rng.Float32() - 0.5
				}
				var bw BF16Weights
				bw.Pack(m, k, a, k)
				want := make([]float32, m*n)
				w.FusedBF16W(&bw, n, gb, want, n, bias, res, n, true, true)
				c := make([]float32, m*n)
				ldp := g.Cols() + 3
				pc := make([]uint32, m/2*ldp)
				for i := range pc {
					pc[i] = 0xdeadbeef
				}
				w.FusedBF16ToPairs(&bw, n, gb, nil, c, n, bias, res, n, true, pc, ldp, &g)
				for i := range c {
					if c[i] != want[i] {
						t.Fatalf("%v m=%d: C[%d] = %g, want %g (FusedBF16W)", g, m, i, c[i], want[i])
					}
				}
				vals := make([]float32, m*px)
				for i := range m {
					copy(vals[i*px:][:px], c[i*n:])
				}
				checkGridPairs(t, g, m, px, vals, pc, ldp)
			}
		}
	})
}
