package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackPairs checks PackPairs (AVX-512 where present) word by word against its definition,
// with and without a high row, for lengths around multiples of 16.
func TestPackPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 15, 16, 17, 47, 64, 100} {
		lo, hi := make([]float32, n), make([]float32, n)
		for i := range n {
			lo[i], hi[i] = math.Float32frombits(rng.Uint32()), math.Float32frombits(rng.Uint32())
		}
		for _, h := range [][]float32{hi, nil} {
			dst := make([]uint32, n)
			PackPairs(dst, lo, h)
			for j, got := range dst {
				want := math.Float32bits(lo[j]) >> 16
				if h != nil {
					want |= math.Float32bits(h[j]) & 0xffff0000
				}
				if got != want {
					t.Fatalf("n=%d hi=%v: word %d = %#x, want %#x", n, h != nil, j, got, want)
				}
			}
		}
	}
}

// TestFusedBF16Paired checks FusedBF16Paired against FusedBF16W on the same matrix B given as
// a Gathered of float32 rows, built here from the pairs: bit for bit, since every
// implementation packs the same tiles from either and sums them in the same order.
func TestFusedBF16Paired(t *testing.T) {
	forEachBF16Order(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		var w Workspace
		for _, m := range []int{8, 16, 40, 64} {
			for _, n := range []int{16, 32, 48, 96} {
				for _, k := range []int{2, 28, 64, 300} {
					pairedCase(t, rng, &w, m, n, k)
				}
			}
		}
	})
}

func pairedCase(t *testing.T, rng *rand.Rand, w *Workspace, m, n, k int) {
	t.Helper()
	g := randomGathered(rng, n, k/2) // windows and masks of the row pairs
	RoundBF16s(g.Data)
	nd := len(g.Data)
	p := &Paired{Data: make([]uint32, nd), Off: g.Off, Mask: g.Mask, Masks: g.Masks}
	hi := make([]float32, nd)
	for i := range hi {
		hi[i] = RoundBF16(rng.Float32()*2 - 1)
	}
	PackPairs(p.Data, g.Data, hi)
	ref := &Gathered{Data: append(append([]float32(nil), g.Data...), hi...), Masks: g.Masks}
	for t := range k / 2 {
		ref.Off = append(ref.Off, g.Off[t], g.Off[t]+int32(nd))
		ref.Mask = append(ref.Mask, g.Mask[t], g.Mask[t])
	}
	a := make([]float32, m*k)
	bias := make([]float32, m)
	res := make([]float32, m*n)
	for i := range a {
		a[i] = RoundBF16(rng.Float32()*2 - 1)
	}
	for i := range res {
		res[i] = rng.Float32()
	}
	var bw BF16Weights
	bw.Pack(m, k, a, k)
	relu, round := rng.IntN(2) == 0, rng.IntN(2) == 0
	want, got := make([]float32, m*n), make([]float32, m*n)
	w.FusedBF16W(&bw, n, ref, want, n, bias, res, n, relu, round)
	w.FusedBF16Paired(&bw, n, p, got, n, bias, res, n, relu, round)
	sameFloats(t, fmt.Sprintf("m=%d n=%d k=%d: C", m, n, k), got, want, n)

	// FusedBF16ToPairs from either source: C rounded, and its pairs.
	w.FusedBF16W(&bw, n, ref, want, n, bias, res, n, relu, true)
	ldp := n + 16
	wantP := make([]uint32, m/2*ldp)
	for r := range m / 2 {
		PackPairs(wantP[r*ldp:][:n], want[2*r*n:][:n], want[(2*r+1)*n:][:n])
	}
	for _, src := range []*Gathered{ref, nil} {
		gotP := make([]uint32, m/2*ldp)
		c := got
		if rng.IntN(2) == 0 {
			c = nil // the pairs alone
		}
		w.FusedBF16ToPairs(&bw, n, src, p, c, n, bias, res, n, relu, gotP, ldp, nil)
		what := fmt.Sprintf("m=%d n=%d k=%d ToPairs from Gathered=%v, C=%v", m, n, k, src != nil, c != nil)
		if c != nil {
			sameFloats(t, what+": C", got, want, n)
		}
		for i := range gotP {
			if gotP[i] != wantP[i] {
				t.Fatalf("%s: pair word [%d][%d] = %#x, want %#x", what, i/ldp, i%ldp, gotP[i], wantP[i])
			}
		}
	}
}

func sameFloats(t *testing.T, what string, got, want []float32, n int) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d][%d] = %v, want %v", what, i/n, i%n, got[i], want[i])
		}
	}
}

// TestFusedBF16PairedNoAllocs checks that the paired products allocate nothing once the
// workspace has grown (on tiles, also when only the pairs are stored).
func TestFusedBF16PairedNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are counted differently under the race detector")
	}
	forEachBF16Impl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		const m, n, k = 32, 256, 288
		g := randomGathered(rng, n, k/2)
		p := &Paired{Data: make([]uint32, len(g.Data)), Off: g.Off, Mask: g.Mask, Masks: g.Masks}
		a, c, bias := make([]float32, m*k), make([]float32, m*n), make([]float32, m)
		pc := make([]uint32, m/2*n)
		var bw BF16Weights
		bw.Pack(m, k, a, k)
		var w Workspace
		for _, cc := range [][]float32{c, nil} {
			call := func() { w.FusedBF16ToPairs(&bw, n, nil, p, cc, n, bias, nil, 0, true, pc, n, nil) }
			call()
			if allocs := testing.AllocsPerRun(10, call); allocs != 0 {
				t.Errorf("C=%v: %v allocations per call", cc != nil, allocs)
			}
		}
	})
}
