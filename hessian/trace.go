package hessian

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Trace is Hutchinson's estimate of tr A.
type Trace struct {
	Estimate float64 // the mean of vᵀA·v over the samples
	StdErr   float64 // its standard error, s/√n with s the samples' standard deviation
	Samples  int
}

// minTraceSamples is how many samples Hutchinson draws before it trusts a standard error.
const minTraceSamples = 10

// HutchinsonTrace estimates tr A = E[vᵀA·v] with Rademacher vectors v (entries ±1 with equal
// probability), drawing samples until the standard error of the mean falls below
// tol·|estimate| (after at least 10 samples) or maxSamples have been drawn.
func HutchinsonTrace(op Operator, tol float64, maxSamples int, o Options) (Trace, error) {
	if maxSamples < 1 || !(tol > 0) {
		return Trace{}, fmt.Errorf("hessian: trace needs a positive tolerance (%g) and sample count (%d)", tol, maxSamples)
	}
	n := op.Dim()
	r := rand.New(rand.NewPCG(o.Seed, 0x7472616365))
	v, av := make([]float64, n), make([]float64, n)
	var mean, m2 float64 // Welford's running mean and sum of squared deviations
	var t Trace
	for t.Samples < maxSamples {
		rademacher(r, v)
		op.Apply(v, av)
		if o.Progress != nil {
			o.Progress()
		}
		x := dot(v, av)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return t, fmt.Errorf("hessian: the operator gave a non-finite product at trace sample %d", t.Samples+1)
		}
		t.Samples++
		d := x - mean
		mean += d / float64(t.Samples)
		m2 += d * (x - mean)
		t.Estimate = mean
		if t.Samples > 1 {
			t.StdErr = math.Sqrt(m2 / float64(t.Samples-1) / float64(t.Samples))
		}
		if t.Samples >= min(minTraceSamples, maxSamples) && t.StdErr < tol*math.Abs(mean) {
			break
		}
	}
	return t, nil
}

func rademacher(r *rand.Rand, v []float64) {
	for i := 0; i < len(v); i += 64 {
		bits := r.Uint64()
		for j := i; j < min(i+64, len(v)); j++ {
			v[j] = float64(int(bits>>(j-i)&1)*2 - 1)
		}
	}
}
