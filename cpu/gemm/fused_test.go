package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gatheredCase is a random Gathered matrix with k rows over n columns.
func randomGathered(rng *rand.Rand, n, k int) *Gathered {
	dataLen := n + 50 + rng.IntN(200)
	g := &Gathered{Data: make([]float32, dataLen)}
	for i := range g.Data {
		g.Data[i] = rng.Float32()*2 - 1
	}
	// A few mask rows of n/16 words: all set, none set, random, and edge patterns.
	words := n / 16
	rows := 4
	g.Masks = make([]uint16, rows*words+rng.IntN(5))
	for i := range g.Masks {
		switch rng.IntN(4) {
		case 0:
			g.Masks[i] = 0xffff
		case 1:
			g.Masks[i] = 0
		case 2:
			g.Masks[i] = 0xfffe // a left edge
		default:
			g.Masks[i] = uint16(rng.Uint32())
		}
	}
	for p := 0; p < k; p++ {
		g.Off = append(g.Off, int32(rng.IntN(dataLen-n+1)))
		g.Mask = append(g.Mask, int32(rng.IntN(len(g.Masks)-words+1)))
	}
	return g
}

func (g *Gathered) at(p, j int) float64 {
	if g.Masks[int(g.Mask[p])+j/16]>>(j%16)&1 == 0 {
		return 0
	}
	return float64(g.Data[int(g.Off[p])+j])
}

type fusedCase struct {
	m, n, k    int
	res, relu  bool
	gapA, gapC int
	bf16       bool // A and B rounded to bfloat16, computed by FusedBF16
	roundC     bool // bf16: the results rounded to bfloat16 too (FusedBF16W's roundC)
}

func (fc fusedCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d res=%v relu=%v gaps=%d,%d bf16=%v", fc.m, fc.n, fc.k, fc.res, fc.relu, fc.gapA, fc.gapC, fc.bf16)
}

// run performs one Fused and checks every element of C against a float64
// reference, and that nothing outside C's window (nor A, B, bias, res) changed.
func (fc fusedCase) run(t *testing.T, rng *rand.Rand, w *Workspace) bool {
	t.Helper()
	uni := func() float32 { return rng.Float32()*2 - 1 }
	a := newMat(rng, fc.m, fc.k, fc.gapA, uni)
	b := randomGathered(rng, fc.n, fc.k)
	if fc.bf16 {
		for i := range fc.m {
			RoundBF16s(a.data()[i*a.ld : i*a.ld+fc.k])
		}
		RoundBF16s(b.Data)
	}
	bias := make([]float32, fc.m)
	for i := range bias {
		bias[i] = uni()
	}
	var r mat
	var res []float32
	ldr := 0
	if fc.res {
		r = newMat(rng, fc.m, fc.n, 5, uni)
		res, ldr = r.data(), r.ld
	}
	nan := func() float32 { return float32(math.NaN()) }
	c := newMat(rng, fc.m, fc.n, fc.gapC, nan) // C is not read
	aCopy := append([]float32(nil), a.buf...)
	dataCopy := append([]float32(nil), b.Data...)

	if fc.bf16 {
		var bw BF16Weights
		bw.Pack(fc.m, fc.k, a.data(), a.ld)
		w.FusedBF16W(&bw, fc.n, b, c.data(), c.ld, bias, res, ldr, fc.relu, fc.roundC)
	} else {
		w.Fused(fc.m, fc.n, fc.k, a.data(), a.ld, b, c.data(), c.ld, bias, res, ldr, fc.relu)
	}

	ok := fc.checkC(t, a, b, bias, r, c)
	c.checkGuards(t, fmt.Sprint(fc, " C"))
	if fc.res {
		r.checkGuards(t, fmt.Sprint(fc, " res"))
	}
	fc.checkUnchanged(t, a, aCopy, b, dataCopy)
	return ok && !t.Failed()
}

// checkC checks every element of C (c, computed from a, b, bias and, where fc.res, r)
// against a float64 reference within tolerance(k+2) of the sum of the terms' magnitudes,
// plus a bfloat16 unit (|s|/256) where fc.roundC, and that rounded results are bfloat16 numbers.
// It reports the first wrong element and returns false there.
func (fc fusedCase) checkC(t *testing.T, a mat, b *Gathered, bias []float32, r, c mat) bool {
	t.Helper()
	tol := tolerance(fc.k + 2)
	for i := 0; i < fc.m; i++ {
		for j := 0; j < fc.n; j++ {
			var s, sa float64
			for p := 0; p < fc.k; p++ {
				v := float64(a.at(i, p)) * b.at(p, j)
				s += v
				sa += math.Abs(v)
			}
			e := float64(bias[i])
			if fc.res {
				e += float64(r.at(i, j))
			}
			s += e
			sa += math.Abs(e)
			if fc.relu && s < 0 {
				s = 0
			}
			got := float64(c.at(i, j))
			slack := 0.0
			if fc.roundC {
				// Rounded to bfloat16: half a unit in the last place (2⁻⁹ relative), or a whole
				// one where the float32 sums straddle a rounding boundary.
				slack = math.Abs(s) / 256
				if math.Float32bits(c.at(i, j))&0xffff != 0 {
					t.Errorf("%v: C[%d][%d] = %v is not a bfloat16 number", fc, i, j, got)
					return false
				}
			}
			if d := math.Abs(got - s); !(d <= tol*sa+slack) {
				t.Errorf("%v: C[%d][%d] = %v, want %v (error %.3g > %.3g)", fc, i, j, got, s, d, tol*sa)
				return false
			}
		}
	}
	return true
}

// checkUnchanged checks that Fused left A (a, against its copy aCopy, guards included) and
// B's data (against dataCopy) as they were.
func (fc fusedCase) checkUnchanged(t *testing.T, a mat, aCopy []float32, b *Gathered, dataCopy []float32) {
	t.Helper()
	for i := range aCopy {
		if math.Float32bits(aCopy[i]) != math.Float32bits(a.buf[i]) {
			t.Errorf("%v: A changed", fc)
			break
		}
	}
	for i := range dataCopy {
		if dataCopy[i] != b.Data[i] {
			t.Errorf("%v: B's data changed", fc)
			break
		}
	}
}

func TestFused(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		var w Workspace
		for _, m := range []int{8, 16, 24, 64} {
			for _, n := range []int{16, 32, 48, 64, 80, 96, 112, 160} {
				for _, k := range []int{1, 3, 27, 144, 300, 577} {
					fc := fusedCase{m: m, n: n, k: k, res: rng.IntN(2) == 0, relu: rng.IntN(2) == 0,
						gapA: rng.IntN(3), gapC: rng.IntN(3) * 7}
					if !fc.run(t, rng, &w) {
						return
					}
				}
			}
		}
	})
}

// TestFusedFlags covers each epilogue combination on a shape with several
// k-blocks, panel widths and row panels.
func TestFusedFlags(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		var w Workspace
		for _, res := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				fc := fusedCase{m: 40, n: 208, k: 530, res: res, relu: relu, gapA: 1, gapC: 3}
				if !fc.run(t, rng, &w) {
					return
				}
			}
		}
	})
}

// TestFusedNaN: ReLU keeps NaN (as PyTorch's does), and NaN in masked-out
// elements of Data does not reach C.
func TestFusedNaN(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		const m, n, k = 8, 32, 2
		data := make([]float32, n+1)
		for j := range data {
			data[j] = -1
		}
		data[0] = float32(math.NaN()) // row 1's column 0 reads data[1]: row 0 reads data[0] (masked out)
		data[5] = float32(math.NaN()) // column 5 of row 0 (set) and column 4 of row 1 (set)
		b := &Gathered{Data: data, Off: []int32{0, 1}, Mask: []int32{0, 2},
			Masks: []uint16{0xfffe, 0xffff, 0xffff, 0xffff}}
		a := make([]float32, m*k)
		for i := range a {
			a[i] = 1
		}
		c := make([]float32, m*n)
		var w Workspace
		w.Fused(m, n, k, a, k, b, c, n, make([]float32, m), nil, 0, true)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				v := c[i*n+j]
				if j == 4 || j == 5 {
					if !math.IsNaN(float64(v)) {
						t.Errorf("C[%d][%d] = %v, want NaN", i, j, v)
					}
				} else if v != 0 {
					t.Errorf("C[%d][%d] = %v, want 0 (ReLU of a negative sum)", i, j, v)
				}
			}
		}
	})
}

func TestFusedPanics(t *testing.T) {
	b := &Gathered{Data: make([]float32, 64), Off: []int32{0, 0}, Mask: []int32{0, 0}, Masks: make([]uint16, 4)}
	a, c, bias := make([]float32, 64), make([]float32, 1024), make([]float32, 16)
	var w Workspace
	for name, f := range map[string]func(){
		"m":    func() { w.Fused(4, 16, 2, a, 2, b, c, 16, bias, nil, 0, false) },
		"n":    func() { w.Fused(8, 8, 2, a, 2, b, c, 16, bias, nil, 0, false) },
		"k":    func() { w.Fused(8, 16, 0, a, 2, b, c, 16, bias, nil, 0, false) },
		"lda":  func() { w.Fused(8, 16, 2, a, 1, b, c, 16, bias, nil, 0, false) },
		"ldc":  func() { w.Fused(8, 16, 2, a, 2, b, c, 15, bias, nil, 0, false) },
		"c":    func() { w.Fused(8, 64, 2, a, 2, b, c[:500], 64, bias, nil, 0, false) },
		"bias": func() { w.Fused(8, 16, 2, a, 2, b, c, 16, bias[:7], nil, 0, false) },
		"res":  func() { w.Fused(8, 16, 2, a, 2, b, c, 16, bias, make([]float32, 100), 16, false) },
		"window": func() {
			w.Fused(8, 16, 2, a, 2, &Gathered{Data: b.Data, Off: []int32{0, 49}, Mask: b.Mask, Masks: b.Masks}, c, 16, bias, nil, 0, false)
		},
		"masks": func() {
			w.Fused(8, 16, 2, a, 2, &Gathered{Data: b.Data, Off: b.Off, Mask: []int32{0, 4}, Masks: b.Masks}, c, 16, bias, nil, 0, false)
		},
		"rows": func() { w.Fused(8, 16, 3, a, 3, b, c, 16, bias, nil, 0, false) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestFusedNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are counted differently under the race detector")
	}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		const m, n, k = 32, 256, 288
		a := make([]float32, m*k)
		b := randomGathered(rng, n, k)
		c, bias, res := make([]float32, m*n), make([]float32, m), make([]float32, m*n)
		var w Workspace
		w.Fused(m, n, k, a, k, b, c, n, bias, res, n, true)
		if allocs := testing.AllocsPerRun(10, func() { w.Fused(m, n, k, a, k, b, c, n, bias, res, n, true) }); allocs != 0 {
			t.Errorf("%v allocations per call", allocs)
		}
	})
}
