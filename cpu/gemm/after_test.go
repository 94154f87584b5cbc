package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// afterRun runs one product into c (rows ldc apart) with Workspace.After applying x → 2x + 1
// to the blocks it is handed, counting how often it sees each element of the m×n result, and
// checks that every element was handed exactly once, after its final value was stored: c then
// equals 2·plain + 1, plain the same product without After.
func afterRun(t *testing.T, m, n, ldc int, product func(w *Workspace, c []float32)) {
	t.Helper()
	var w Workspace
	plain := make([]float32, m*ldc)
	product(&w, plain)
	c := make([]float32, m*ldc)
	seen := make([]int, m*n)
	w.After = func(r0, rows, j0, nc int) {
		for i := r0; i < r0+rows; i++ {
			for j := j0; j < j0+nc; j++ {
				c[i*ldc+j] = 2*c[i*ldc+j] + 1
				seen[i*n+j]++
			}
		}
	}
	product(&w, c)
	for i := range m {
		for j := range n {
			if seen[i*n+j] != 1 || c[i*ldc+j] != 2*plain[i*ldc+j]+1 {
				t.Fatalf("C[%d][%d]: handed to After %d times, %v, want once and 2·%v + 1", i, j, seen[i*n+j], c[i*ldc+j], plain[i*ldc+j])
			}
		}
	}
}

// TestFusedAfter checks Workspace.After on Fused (every kernel, small cache blocks too: several
// k blocks), FusedBF16W with and without rounding and FusedBF16Paired (every bfloat16
// implementation, A streamed and stationary), on shapes with partial panels and more than
// afterCols columns.
func TestFusedAfter(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	shapes := [][3]int{{8, 16, 1}, {24, 48, 27}, {40, 304, 70}, {64, 560, 33}}
	forEachImpl(t, func(t *testing.T) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, b, bias := randomFloats(rng, m*k), randomGathered(rng, n, k), randomFloats(rng, m)
			afterRun(t, m, n, n+3, func(w *Workspace, c []float32) {
				w.Fused(m, n, k, a, k, b, c, n+3, bias, nil, 0, true)
			})
		}
	})
	forEachBF16Order(t, func(t *testing.T) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, b, bias := randomFloats(rng, m*k), randomGathered(rng, n, k), randomFloats(rng, m)
			RoundBF16s(a)
			RoundBF16s(b.Data)
			var bw BF16Weights
			bw.Pack(m, k, a, k)
			for _, round := range []bool{false, true} {
				t.Run(fmt.Sprintf("%dx%dx%d/round=%v", m, n, k, round), func(t *testing.T) {
					afterRun(t, m, n, n, func(w *Workspace, c []float32) {
						w.FusedBF16W(&bw, n, b, c, n, bias, nil, 0, false, round)
					})
				})
			}
			if k%2 == 0 {
				g := randomGathered(rng, n, k/2) // the windows and masks of the row pairs
				lo, hi := randomFloats(rng, len(g.Data)), randomFloats(rng, len(g.Data))
				RoundBF16s(lo)
				RoundBF16s(hi)
				pb := &Paired{Data: make([]uint32, len(g.Data)), Off: g.Off, Mask: g.Mask, Masks: g.Masks}
				PackPairs(pb.Data, lo, hi)
				afterRun(t, m, n, n, func(w *Workspace, c []float32) {
					w.FusedBF16Paired(&bw, n, pb, c, n, bias, nil, 0, true, false)
				})
			}
		}
	})
}

func randomFloats(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// TestFusedBefore checks Workspace.Before on Fused (every kernel, small cache blocks too) and
// on FusedBF16W over the float32 kernels: a B of disjoint rows (row p at p·ld, random masks)
// scaled by f[p] in Before, each element once, gives C bit for bit as the product of the
// scaled B computed without Before.
func TestFusedBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	shapes := [][3]int{{8, 16, 1}, {24, 48, 27}, {40, 304, 70}, {16, 592, 300}}
	run := func(t *testing.T, bf16 bool) {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			ld := n + 16
			b := randomGathered(rng, n, k)
			b.Data = randomFloats(rng, k*ld)
			for p := range k {
				b.Off[p] = int32(p * ld)
			}
			f := randomFloats(rng, k)
			a, bias := randomFloats(rng, m*k), randomFloats(rng, m)
			var bw BF16Weights
			if bf16 {
				RoundBF16s(a)
				bw.Pack(m, k, a, k)
			}
			product := func(w *Workspace, b *Gathered, c []float32) {
				if bf16 {
					w.FusedBF16W(&bw, n, b, c, n, bias, nil, 0, true, false)
				} else {
					w.Fused(m, n, k, a, k, b, c, n, bias, nil, 0, true)
				}
			}
			scaled := *b
			scaled.Data = append([]float32(nil), b.Data...)
			for p := range k {
				for j := range n {
					scaled.Data[p*ld+j] *= f[p]
				}
			}
			want, got := make([]float32, m*n), make([]float32, m*n)
			var w Workspace
			product(&w, &scaled, want)
			seen := make([]int, k*n)
			w.Before = func(p0, rows, j0, nc int) {
				for p := p0; p < p0+rows; p++ {
					for j := j0; j < j0+nc; j++ {
						b.Data[p*ld+j] *= f[p]
						seen[p*n+j]++
					}
				}
			}
			product(&w, b, got)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("%dx%dx%d: B[%d][%d] handed to Before %d times", m, n, k, i/n, i%n, c)
				}
			}
			sameFloats(t, fmt.Sprintf("%dx%dx%d: C", m, n, k), got, want, n)
		}
	}
	forEachImpl(t, func(t *testing.T) { run(t, false) })
	saved := bf16Current
	defer func() { bf16Current = saved }()
	SetBF16Impl("")
	t.Run("bf16-float32-kernels", func(t *testing.T) { run(t, true) })
}
