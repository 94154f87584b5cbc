package hessian

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// dense is an explicit symmetric matrix as an Operator.
type dense struct{ a *mat.SymDense }

func (d dense) Dim() int { return d.a.SymmetricDim() }
func (d dense) Apply(v, out []float64) {
	mat.NewVecDense(len(out), out).MulVec(d.a, mat.NewVecDense(len(v), v))
}

// withSpectrum returns Q·diag(eig)·Qᵀ for a random orthogonal Q (QR of a Gaussian matrix).
func withSpectrum(eig []float64, seed uint64) dense {
	n := len(eig)
	r := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	a := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			var s float64
			for k := range n {
				s += q.At(i, k) * eig[k] * q.At(j, k)
			}
			a.SetSym(i, j, s)
		}
	}
	return dense{a}
}

// A spectrum like a network Hessian's: a few large outliers, a bulk near zero, a few negative.
func hessianLikeSpectrum(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	eig := make([]float64, n)
	for i := range eig {
		eig[i] = 0.05 * r.NormFloat64()
	}
	copy(eig, []float64{40, 25, 17.5, 9, 6.25, -3.5, -1.25})
	return eig
}

func TestTopEigenvaluesKnownSpectrum(t *testing.T) {
	eig := hessianLikeSpectrum(300, 1)
	op := withSpectrum(eig, 2)
	calls := 0
	res, err := TopEigenvalues(op, 4, Options{Tol: 1e-8, Seed: 3, Progress: func() { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{40, 25, 17.5, 9}
	for i, w := range want {
		if math.Abs(res.Top[i]-w) > 1e-6 {
			t.Errorf("eigenvalue %d: %.9g, want %g", i, res.Top[i], w)
		}
	}
	if math.Abs(res.Min+3.5) > 1e-6 {
		t.Errorf("smallest eigenvalue %.9g, want -3.5", res.Min)
	}
	if !res.Converged || calls != res.Steps || res.Steps >= 300 {
		t.Errorf("converged %v after %d steps, %d products", res.Converged, res.Steps, calls)
	}
}

// With every eigenvalue distinct and the Krylov space exhausted, Lanczos returns the exact
// spectrum's ends (a 6×6 matrix: 6 steps).
func TestTopEigenvaluesSmallExhausted(t *testing.T) {
	eig := []float64{3, -2, 0.5, 7, 1, -0.25}
	res, err := TopEigenvalues(withSpectrum(eig, 5), 3, Options{Tol: 1e-12, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{7, 3, 1}; !close(res.Top, want, 1e-10) || math.Abs(res.Min+2) > 1e-10 {
		t.Errorf("top %v min %v, want %v and -2", res.Top, res.Min, want)
	}
	if _, err := TopEigenvalues(withSpectrum(eig, 5), 7, Options{}); err == nil {
		t.Error("7 eigenvalues of a 6×6 matrix: no error")
	}
}

func close(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// Hutchinson's estimate lies within four standard errors of the exact trace, stops on its
// tolerance, and uses ±1 entries (so that for a diagonal matrix every sample is exact).
func TestHutchinsonTrace(t *testing.T) {
	eig := hessianLikeSpectrum(200, 7)
	var exact float64
	for _, e := range eig {
		exact += e
	}
	op := withSpectrum(eig, 8)
	tr, err := HutchinsonTrace(op, 0.02, 5000, Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tr.Estimate-exact) > 4*tr.StdErr || tr.StdErr >= 0.02*math.Abs(tr.Estimate) || tr.Samples >= 5000 {
		t.Errorf("trace %g ± %g in %d samples, exact %g", tr.Estimate, tr.StdErr, tr.Samples, exact)
	}
	capped, _ := HutchinsonTrace(op, 1e-9, 25, Options{Seed: 9})
	if capped.Samples != 25 {
		t.Errorf("max samples 25: took %d", capped.Samples)
	}
	diag := mat.NewSymDense(50, nil)
	for i := range 50 {
		diag.SetSym(i, i, float64(i))
	}
	d, _ := HutchinsonTrace(dense{diag}, 1e-9, 12, Options{Seed: 1})
	if d.Estimate != 1225 || d.StdErr != 0 || d.Samples != 10 {
		t.Errorf("diagonal matrix: %+v, want exactly 1225 after 10 samples", d)
	}
}

// The SLQ density integrates to 1, its mean ∫tρ is close to tr A/n, and its mass splits
// between two clusters of eigenvalues in their proportions.
func TestSpectralDensity(t *testing.T) {
	n := 200
	eig := make([]float64, n)
	r := rand.New(rand.NewPCG(4, 4))
	for i := range eig {
		if i < n/4 {
			eig[i] = 10 + 0.1*r.NormFloat64()
		} else {
			eig[i] = 0.1 * r.NormFloat64()
		}
	}
	d, err := SpectralDensity(withSpectrum(eig, 6), DensityOptions{Runs: 4, Steps: 60, Bins: 2000}, 1)
	if err != nil {
		t.Fatal(err)
	}
	step := d.Grid[1] - d.Grid[0]
	var total, mean, upper float64
	for i, v := range d.Values {
		total += v * step
		mean += d.Grid[i] * v * step
		if d.Grid[i] > 5 {
			upper += v * step
		}
	}
	if math.Abs(total-1) > 1e-12 {
		t.Errorf("density integrates to %g", total)
	}
	if math.Abs(upper-0.25) > 0.08 || math.Abs(mean-2.5) > 0.8 {
		t.Errorf("mass above 5: %g (want ≈ 0.25); mean %g (want ≈ 2.5)", upper, mean)
	}
	if !slices.IsSorted(d.Grid) || len(d.Nodes) != 4 {
		t.Errorf("grid sorted %v, %d runs", slices.IsSorted(d.Grid), len(d.Nodes))
	}
	for _, w := range d.Weights {
		var s float64
		for _, x := range w {
			s += x
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("quadrature weights sum to %g", s)
		}
	}
}

func symmetrise(a [][]float64) *mat.SymDense {
	n := len(a)
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (a[i][j]+a[j][i])/2)
		}
	}
	return s
}

func eigenSym(d dense) []float64 {
	var e mat.EigenSym
	e.Factorize(d.a, false)
	return e.Values(nil)
}
