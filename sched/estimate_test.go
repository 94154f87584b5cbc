package sched

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"landscape/data"
	"landscape/engine"
)

// TestStdErrUnbiased enumerates every sample of 3 of 6 values without replacement: the mean of
// StdErr² over them must equal the variance of the sample mean exactly (the finite-population
// correction makes s²·(1 − n/N)/n unbiased), and with every value used the error is 0.
func TestStdErrUnbiased(t *testing.T) {
	pop := []float64{0.1, 0.4, 2.5, 0.05, 1.1, 7}
	var mu float64
	for _, v := range pop {
		mu += v / float64(len(pop))
	}
	var varMean, meanSE2 float64
	count := 0
	for a := range pop {
		for b := a + 1; b < len(pop); b++ {
			for c := b + 1; c < len(pop); c++ {
				var tl Tally
				for _, v := range []float64{pop[a], pop[b], pop[c]} {
					tl.add(1, v, v*v, 0)
				}
				varMean += (tl.Mean() - mu) * (tl.Mean() - mu)
				meanSE2 += tl.StdErr(len(pop)) * tl.StdErr(len(pop))
				count++
			}
		}
	}
	varMean, meanSE2 = varMean/float64(count), meanSE2/float64(count)
	if math.Abs(varMean-meanSE2) > 1e-12*varMean {
		t.Errorf("mean StdErr² %v, want the variance of the sample mean %v", meanSE2, varMean)
	}
	var all Tally
	for _, v := range pop {
		all.add(1, v, v*v, 0)
	}
	if all.StdErr(len(pop)) != 0 || math.Abs(all.Mean()-mu) > 1e-15 {
		t.Errorf("every value used: mean %v ± %v, want %v ± 0", all.Mean(), all.StdErr(len(pop)), mu)
	}
}

// tableEngine returns sums of per-image losses from a table: loss[point index][image].
type tableEngine struct{ loss [][]float64 }

func (e *tableEngine) Name() string      { return "table" }
func (e *tableEngine) Close() error      { return nil }
func (e *tableEngine) SumsSquares() bool { return true }
func (e *tableEngine) Evaluate(_ context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	out := make([]engine.Sums, len(pts))
	for k, pt := range pts {
		for _, l := range e.loss[int(pt.A)][lo:hi] {
			out[k].Loss += l
			out[k].LossSq += l * l
		}
	}
	return out, nil
}

// TestToleranceCoverage runs tolerance scans of synthetic heavy-tailed per-image losses with
// known means (most images near 0, a fifth large, as a trained network's are), the images in a
// new random order for each of many seeds: the reported ±2 standard errors must hold the true
// mean for at least 90 % of the points, each stopped point must meet the tolerance, and the
// sample must be a fraction of the data.
func TestToleranceCoverage(t *testing.T) {
	const n, points, seeds, tol = 5000, 4, 150, 0.05
	base := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n)
	for i := range x {
		x[i] = base.ExpFloat64() * 0.05
		if base.Float64() < 0.2 {
			x[i] = base.ExpFloat64()
		}
	}
	p := &engine.Problem{Data: &data.Set{Name: "synthetic", N: n}}
	pts := make([]engine.Point, points)
	todo := make([]int, points)
	for k := range pts {
		pts[k], todo[k] = engine.Point{A: float64(k)}, k
	}
	covered, total, images := 0, 0, 0
	for seed := range uint64(seeds) {
		perm := rand.New(rand.NewPCG(seed, 7)).Perm(n)
		e := &tableEngine{loss: make([][]float64, points)}
		truth := make([]float64, points)
		for k := range points {
			scale := 0.5 + float64(k) // the points differ in level, share the images
			e.loss[k] = make([]float64, n)
			for i, src := range perm {
				e.loss[k][i] = scale * x[src]
				truth[k] += scale * x[src] / n
			}
		}
		res := make([]Result, points)
		err := RunResults(context.Background(), p, pts, todo, []engine.Engine{e, e}, Options{Images: 128, Tolerance: tol},
			func(k int, r Result) { res[k] = r })
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range res {
			if r.Images < n && r.StdErr > tol*r.Loss {
				t.Fatalf("seed %d point %d stopped at %d images with ±%v > %v × %v", seed, k, r.Images, r.StdErr, tol, r.Loss)
			}
			if math.Abs(r.Loss-truth[k]) <= 2*r.StdErr {
				covered++
			}
			total++
			images += r.Images
		}
	}
	frac := float64(covered) / float64(total)
	t.Logf("coverage of ±2 SE: %.3f over %d points; images used %.3f of all", frac, total, float64(images)/float64(total*n))
	if frac < 0.90 {
		t.Errorf("±2 standard errors hold the true mean for %.1f%% of the points, want ≥ 90%%", 100*frac)
	}
	if images >= total*n*3/4 {
		t.Errorf("the tolerance scans used %d of %d image evaluations: no sampling happened", images, total*n)
	}
}

// TestToleranceRefusesEnginesWithoutSquares: an engine without Σ loss² cannot give error bars.
func TestToleranceRefusesEnginesWithoutSquares(t *testing.T) {
	p, pts := problem(t)
	e := struct{ engine.Engine }{cpus(p, 1)[0]} // hides SumsSquares
	err := RunResults(context.Background(), p, pts, []int{0}, []engine.Engine{e}, Options{Tolerance: 0.1}, func(int, Result) {})
	if err == nil {
		t.Fatal("a tolerance scan ran on an engine without squared sums")
	}
}
