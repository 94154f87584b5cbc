package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// Tolerance. Every element of C is compared with a float64 reference. A dot
// product of length k evaluated in float32, in any order and with or without
// fused multiply-adds, is within γ_k·Σ_p|a_ip·b_pj| of the exact value, where
// γ_k = k·u/(1-k·u) and u = 2⁻²⁴ (Higham, Accuracy and Stability of
// Numerical Algorithms, §3.1). Scaling by alpha, adding beta·C and the partial
// sums of the k-blocks add a few more roundings, so the test allows
//
//	|C - C_ref| ≤ 2·(k+4)·u·(|alpha|·Σ_p|a_ip·b_pj| + |beta·C0_ij|),
//
// twice the worst case; typical errors are far smaller (~√k·u relative).
const unitRoundoff = 1.0 / (1 << 24)

func tolerance(k int) float64 { return 2 * float64(k+4) * unitRoundoff }

// mat is a row-major matrix with row stride ld inside a larger buffer whose
// other elements are sentinels.
type mat struct {
	rows, cols, ld int
	off            int
	buf            []float32
}

const guard = 3 // rows and columns of sentinels around each matrix

var sentinel = math.Float32frombits(0x7fc0dead) // a NaN with a recognisable payload

func newMat(rng *rand.Rand, rows, cols, gap int, fill func() float32) mat {
	ld := cols + gap
	if ld < 1 {
		ld = 1
	}
	total := (rows+2*guard)*ld + 2*guard
	m := mat{rows: rows, cols: cols, ld: ld, off: guard*ld + guard, buf: make([]float32, total)}
	for i := range m.buf {
		m.buf[i] = sentinel
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			m.buf[m.off+i*ld+j] = fill()
		}
	}
	return m
}

func (m mat) data() []float32 { return m.buf[m.off:] }
func (m mat) at(i, j int) float32 {
	return m.buf[m.off+i*m.ld+j]
}

// checkGuards reports an error for any element outside the rows×cols window
// that is not the sentinel.
func (m mat) checkGuards(t *testing.T, name string) {
	t.Helper()
	bad := 0
	for idx, v := range m.buf {
		r := idx - m.off
		inside := false
		if r >= 0 {
			i, j := r/m.ld, r%m.ld
			inside = i < m.rows && j < m.cols
		}
		if !inside && math.Float32bits(v) != math.Float32bits(sentinel) {
			if bad < 5 {
				t.Errorf("%s: element %d outside the matrix changed to %v", name, idx, v)
			}
			bad++
		}
	}
}

type testCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	gapA, gapB     int
	gapC           int
}

func (tc testCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v gaps=%d,%d,%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.gapA, tc.gapB, tc.gapC)
}

// run performs one Sgemm through gemmFn and checks the result and the guards.
func (tc testCase) run(t *testing.T, rng *rand.Rand, gemmFn func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) bool {
	t.Helper()
	uni := func() float32 { return rng.Float32()*2 - 1 }
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	a := newMat(rng, ar, ac, tc.gapA, uni)
	b := newMat(rng, br, bc, tc.gapB, uni)
	cfill := uni
	if tc.beta == 0 {
		cfill = func() float32 { return float32(math.NaN()) }
	}
	c := newMat(rng, tc.m, tc.n, tc.gapC, cfill)
	c0 := append([]float32(nil), c.buf...)

	gemmFn(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a.data(), a.ld, b.data(), b.ld, tc.beta, c.data(), c.ld)

	opA := func(i, p int) float64 {
		if tc.transA {
			return float64(a.at(p, i))
		}
		return float64(a.at(i, p))
	}
	opB := func(p, j int) float64 {
		if tc.transB {
			return float64(b.at(j, p))
		}
		return float64(b.at(p, j))
	}
	tol := tolerance(tc.k)
	ok := true
	bad := 0
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, sabs float64
			for p := 0; p < tc.k; p++ {
				x := opA(i, p) * opB(p, j)
				s += x
				sabs += math.Abs(x)
			}
			want := float64(tc.alpha) * s
			bound := math.Abs(float64(tc.alpha)) * sabs
			if tc.beta != 0 {
				cij := float64(c0[c.off+i*c.ld+j])
				want += float64(tc.beta) * cij
				bound += math.Abs(float64(tc.beta) * cij)
			}
			got := float64(c.at(i, j))
			if d := math.Abs(got - want); !(d <= tol*bound) {
				if bad < 5 {
					t.Errorf("%v: C[%d][%d] = %v, want %v (error %.3g > bound %.3g)", tc, i, j, got, want, d, tol*bound)
				}
				bad++
				ok = false
			}
		}
	}
	c.checkGuards(t, "C")
	if t.Failed() {
		ok = false
	}
	return ok
}

// forEachImpl runs f once for each available implementation, and once more
// with tiny cache blocks so that small problems exercise every blocking loop.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	saved := current
	defer func() { current = saved }()
	for _, name := range implNames() {
		for _, small := range []bool{false, true} {
			if !setImpl(name) {
				t.Fatalf("setImpl(%q) failed", name)
			}
			label := name
			if small {
				im := *current
				im.kc, im.mc, im.nc = 7, 2*im.mr, 3*im.kernels[0].nr
				current = &im
				label += "/smallblocks"
			}
			t.Run(label, f)
		}
	}
}

func TestImpl(t *testing.T) {
	names := implNames()
	if Impl() != names[0] {
		t.Errorf("Impl() = %q, want the best available %q", Impl(), names[0])
	}
	if names[len(names)-1] != "portable" {
		t.Errorf("portable implementation missing: %v", names)
	}
	t.Logf("implementations: %v; in use: %s", names, Impl())
}

var transposes = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

func TestSgemmSmall(t *testing.T) {
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 15, 16, 17, 23, 31, 32, 33, 47, 48, 49, 63, 64, 65, 70}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		var w Workspace
		pick := func() int { return sizes[rng.IntN(len(sizes))] }
		for iter := 0; iter < 200; iter++ {
			tr := transposes[iter%4]
			tc := testCase{
				transA: tr[0], transB: tr[1],
				m: pick(), n: pick(), k: pick(),
				alpha: []float32{1, -0.5, 2.25}[rng.IntN(3)],
				beta:  []float32{0, 1, -0.75}[rng.IntN(3)],
				gapA:  []int{0, 0, 3}[rng.IntN(3)],
				gapB:  []int{0, 0, 5}[rng.IntN(3)],
				gapC:  []int{0, 0, 2}[rng.IntN(3)],
			}
			if !tc.run(t, rng, w.Sgemm) {
				return
			}
		}
	})
}

// TestSgemmEdges sweeps m and n through every remainder of the micro-tiles
// and every combination of panel widths.
func TestSgemmEdges(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		mr, nr := current.mr, current.kernels[0].nr
		for i, tr := range transposes {
			for m := 1; m <= 2*mr+1; m++ {
				tc := testCase{transA: tr[0], transB: tr[1], m: m, n: 1 + (m*7+i)%(2*nr+1), k: 1 + m%5, alpha: 1, beta: 0, gapC: 1}
				if !tc.run(t, rng, Sgemm) {
					return
				}
			}
			for n := 1; n <= 3*nr+1; n++ {
				tc := testCase{transA: tr[0], transB: tr[1], m: []int{mr, 2*mr + 1}[n%2], n: n, k: 9 + n%3, alpha: -1, beta: 0.5, gapB: n % 2}
				if !tc.run(t, rng, Sgemm) {
					return
				}
			}
		}
	})
}

// TestSgemmShapes runs the convolution and linear-layer shapes the package
// is tuned for, at batch 1.
func TestSgemmShapes(t *testing.T) {
	shapes := [][3]int{ // m, k, n
		{16, 27, 1024}, {16, 144, 1024}, {32, 288, 256}, {64, 576, 64},
		{128, 1152, 64}, {256, 2304, 16}, {64, 64, 256}, {8, 512, 10}, {5, 4096, 7},
	}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for i, s := range shapes {
			tr := transposes[i%4]
			tc := testCase{transA: tr[0], transB: tr[1], m: s[0], k: s[1], n: s[2], alpha: 1, beta: float32(i % 2)}
			if !tc.run(t, rng, Sgemm) {
				return
			}
		}
	})
}

// TestSgemmLargeBlocks crosses the real cache-block boundaries of each
// implementation once.
func TestSgemmLargeBlocks(t *testing.T) {
	saved := current
	defer func() { current = saved }()
	for _, name := range implNames() {
		setImpl(name)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			im := current
			nr := im.kernels[0].nr
			tc := testCase{transA: true, m: im.mc + im.mr + 1, n: nr + 3, k: im.kc + 5, alpha: 1.5, beta: 0.5, gapA: 1, gapB: 2, gapC: 3}
			tc.run(t, rng, Sgemm)
			tc = testCase{m: 2*im.mr + 1, n: im.nc + nr + 2, k: im.kc + 1, alpha: 1, beta: 0}
			tc.run(t, rng, Sgemm)
			tc.transB, tc.k = true, 9
			tc.run(t, rng, Sgemm)
		})
	}
}

// TestSgemmConcurrent runs Sgemm from several goroutines (for -race and the
// workspace pool).
func TestSgemmConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, n, k := 16+g, 100, 37
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range b {
				b[i] = float32(i%5) - 2
			}
			c := make([]float32, m*n)
			for it := 0; it < 50; it++ {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var s float32
						for p := 0; p < k; p++ {
							s += a[i*k+p] * b[p*n+j]
						}
						if s != c[i*n+j] { // small integers: exact
							errs <- fmt.Sprintf("goroutine %d: C[%d][%d] = %v, want %v", g, i, j, c[i*n+j], s)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

var negZero = float32(math.Copysign(0, -1))

func TestSgemmSpecial(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, tc := range []testCase{
			{m: 5, n: 6, k: 0, alpha: 1, beta: 0},        // C = 0 without reading the NaNs
			{m: 5, n: 6, k: 0, alpha: 1, beta: 2},        // C = 2·C
			{m: 5, n: 6, k: 3, alpha: 0, beta: 0},        // alpha = 0
			{m: 5, n: 6, k: 3, alpha: 0, beta: -1},       //
			{m: 0, n: 6, k: 3, alpha: 1, beta: 1},        // empty
			{m: 5, n: 0, k: 3, alpha: 1, beta: 1},        //
			{m: 9, n: 33, k: 4, alpha: 1, beta: negZero}, // -0 counts as 0
		} {
			if !tc.run(t, rng, Sgemm) {
				return
			}
		}
		// Inf and NaN in A or B do propagate.
		a := []float32{float32(math.Inf(1)), 1}
		b := []float32{1, 1}
		c := []float32{0}
		Sgemm(false, false, 1, 1, 2, 1, a, 2, b, 1, 0, c, 1)
		if !math.IsInf(float64(c[0]), 1) {
			t.Errorf("Inf in A: got %v", c[0])
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 100)
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"m<0", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, "m = -1"},
		{"n<0", func() { Sgemm(false, false, 2, -1, 2, 1, a, 2, a, 2, 0, a, 2) }, "n = -1"},
		{"k<0", func() { Sgemm(false, false, 2, 2, -1, 1, a, 2, a, 2, 0, a, 2) }, "k = -1"},
		{"lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }, "lda"},
		{"ldaT", func() { Sgemm(true, false, 4, 2, 3, 1, a, 3, a, 2, 0, a, 2) }, "lda"},
		{"ldb", func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, a, 2, 0, a, 3) }, "ldb"},
		{"ldbT", func() { Sgemm(false, true, 2, 3, 4, 1, a, 4, a, 3, 0, a, 3) }, "ldb"},
		{"ldc", func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) }, "ldc"},
		{"ld0", func() { Sgemm(false, false, 0, 0, 0, 1, nil, 0, nil, 1, 0, nil, 1) }, "lda"},
		{"lena", func() { Sgemm(false, false, 10, 2, 10, 1, a[:99], 10, a, 2, 0, a, 2) }, "len(a)"},
		{"lenb", func() { Sgemm(false, true, 2, 10, 10, 1, a, 10, a[:95], 10, 0, a, 10) }, "len(b)"},
		{"lenc", func() { Sgemm(false, false, 10, 10, 2, 1, a, 2, a, 10, 0, a[:91], 10) }, "len(c)"},
	} {
		func() {
			defer func() {
				r := recover()
				s, _ := r.(string)
				if r == nil || !strings.Contains(s, tc.msg) {
					t.Errorf("%s: panic %v, want one mentioning %q", tc.name, r, tc.msg)
				}
			}()
			tc.f()
		}()
	}
	// Short slices are fine when the call touches nothing.
	Sgemm(false, false, 0, 5, 5, 1, nil, 5, nil, 5, 0, nil, 5)
}

func TestSgemmNoAllocs(t *testing.T) {
	m, n, k := 64, 300, 200
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	var w Workspace
	for _, tr := range transposes {
		lda, ldb := k, n
		if tr[0] {
			lda = m
		}
		if tr[1] {
			ldb = k
		}
		if avg := testing.AllocsPerRun(20, func() {
			w.Sgemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0.5, c, n)
		}); avg != 0 {
			t.Errorf("Workspace.Sgemm(%v, %v): %v allocations per call", tr[0], tr[1], avg)
		}
		if raceEnabled {
			continue
		}
		if avg := testing.AllocsPerRun(20, func() {
			Sgemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0.5, c, n)
		}); avg != 0 {
			t.Errorf("Sgemm(%v, %v): %v allocations per call", tr[0], tr[1], avg)
		}
	}
}
