// Package hessian computes spectral quantities of a symmetric operator given only its
// matrix-vector products — the Hessian of a network's loss through train.HVP: the extreme
// eigenvalues by Lanczos iteration with full reorthogonalisation, the trace by Hutchinson's
// estimator with Rademacher vectors, and the spectral density by stochastic Lanczos
// quadrature (as PyHessian computes them). Vectors are float64.
package hessian

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Operator is a symmetric linear map of R^Dim: Apply sets out = A·v.
type Operator interface {
	Dim() int
	Apply(v, out []float64)
}

// Options controls the iterations.
type Options struct {
	// Tol: Lanczos stops (after at least 20 steps) when each wanted Ritz value θ has residual
	// ‖A·y − θ·y‖ = β_m·|e_mᵀs| below Tol·|θ_max| (an eigenvalue of A lies that close to θ) and
	// moved less than that over the last 5 steps. Default 1e-5.
	Tol      float64
	MaxSteps int    // at most this many products per Lanczos run (default 300, at most Dim)
	Seed     uint64 // the random start and probe vectors
	Progress func() // called after every product, when not nil
}

func (o Options) withDefaults(dim int) Options {
	if o.Tol <= 0 {
		o.Tol = 1e-5
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 300
	}
	o.MaxSteps = min(o.MaxSteps, dim)
	return o
}

// minLanczosSteps is the fewest Lanczos steps TopEigenvalues trusts (unless the Krylov space is
// exhausted first).
const minLanczosSteps = 20

// Extremes are the extreme eigenvalues found by Lanczos.
type Extremes struct {
	Top       []float64 // the K largest (algebraic) eigenvalues, in descending order
	Min       float64   // the smallest eigenvalue
	Residuals []float64 // the residual bounds of Top, then of Min
	Steps     int       // Lanczos steps (products) taken
	Converged bool      // every residual met the tolerance
}

// TopEigenvalues returns the k largest eigenvalues and the smallest one of op, by one Lanczos
// run with full reorthogonalisation from a Gaussian start vector.
func TopEigenvalues(op Operator, k int, o Options) (Extremes, error) {
	n := op.Dim()
	if k < 1 || k > n {
		return Extremes{}, fmt.Errorf("hessian: %d eigenvalues asked of a %d-dimensional operator", k, n)
	}
	o = o.withDefaults(n)
	r := rand.New(rand.NewPCG(o.Seed, 0x6c616e637a6f73))
	start := make([]float64, n)
	for i := range start {
		start[i] = r.NormFloat64()
	}
	var res, prev Extremes
	_, err := lanczos(op, start, o, func(alpha, beta []float64, last float64) bool {
		m := len(alpha)
		vals, vecs, err := tridiagEigen(alpha, beta)
		if err != nil {
			return true
		}
		kk := min(k, m)
		prev, res = res, Extremes{Steps: m}
		scale := max(math.Abs(vals[m-1]), math.Abs(vals[0]))
		exhausted := m == n || last <= 1e-12*scale
		// A small residual says a Ritz value is near some eigenvalue, not that it is the
		// extreme one: also demand a few steps, and values that moved less than the tolerance
		// since the last check.
		res.Converged = kk == k && (exhausted || m >= min(o.MaxSteps, minLanczosSteps))
		for j := range kk + 1 {
			col := m - 1 - j // descending
			if j == kk {
				col = 0
			} else {
				res.Top = append(res.Top, vals[col])
			}
			rj := math.Abs(last * vecs.At(m-1, col))
			res.Residuals = append(res.Residuals, rj)
			if rj > o.Tol*scale {
				res.Converged = false
			}
		}
		res.Min = vals[0]
		if !exhausted && (len(prev.Top) != len(res.Top) || math.Abs(prev.Min-res.Min) > o.Tol*scale) {
			res.Converged = false
		}
		for j := range prev.Top {
			if j < len(res.Top) && math.Abs(prev.Top[j]-res.Top[j]) > o.Tol*scale && !exhausted {
				res.Converged = false
			}
		}
		return res.Converged || exhausted
	})
	if err != nil {
		return res, err
	}
	if len(res.Top) < k {
		return res, fmt.Errorf("hessian: Lanczos found only %d of %d eigenvalues in %d steps", len(res.Top), k, res.Steps)
	}
	return res, nil
}

// lanczos runs the Lanczos iteration on op from start with full reorthogonalisation (classical
// Gram–Schmidt against every earlier vector, twice) for up to o.MaxSteps steps, calling done
// with the tridiagonal matrix T (diagonal alpha, off-diagonal beta) and the next β after every
// few steps; it stops when done returns true or the Krylov space is exhausted (β ≈ 0). It
// returns the number of steps (products) taken.
func lanczos(op Operator, start []float64, o Options, done func(alpha, beta []float64, last float64) bool) (int, error) {
	n := op.Dim()
	q := slices.Clone(start)
	nrm := norm(q)
	if nrm == 0 || math.IsNaN(nrm) {
		return 0, errors.New("hessian: Lanczos start vector is zero or not finite")
	}
	scaleVec(q, 1/nrm)
	var basis [][]float64
	var alpha, beta []float64
	w := make([]float64, n)
	for m := 1; m <= o.MaxSteps; m++ {
		basis = append(basis, q)
		op.Apply(q, w)
		if o.Progress != nil {
			o.Progress()
		}
		a := dot(w, q)
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return m, fmt.Errorf("hessian: the operator gave a non-finite product at Lanczos step %d", m)
		}
		alpha = append(alpha, a)
		for range 2 {
			for _, b := range basis {
				axpy(w, -dot(w, b), b)
			}
		}
		bnext := norm(w)
		exhausted := bnext <= 1e-12*math.Max(1, math.Abs(a)) || m == n
		if m == o.MaxSteps || exhausted || m%5 == 0 || m <= 3 {
			if done(alpha, beta, bnext) || exhausted {
				return m, nil
			}
		}
		beta = append(beta, bnext)
		q = make([]float64, n)
		for i, v := range w {
			q[i] = v / bnext
		}
	}
	return o.MaxSteps, nil
}

// tridiagEigen returns the eigenvalues (ascending) and eigenvectors (columns) of the symmetric
// tridiagonal matrix with diagonal alpha and off-diagonal beta, by gonum's EigenSym.
func tridiagEigen(alpha, beta []float64) ([]float64, *mat.Dense, error) {
	m := len(alpha)
	t := mat.NewSymDense(m, nil)
	for i, a := range alpha {
		t.SetSym(i, i, a)
		if i+1 < m {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var e mat.EigenSym
	if !e.Factorize(t, true) {
		return nil, nil, errors.New("hessian: the tridiagonal eigenproblem did not converge")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	return e.Values(nil), &v, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func axpy(y []float64, a float64, x []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func scaleVec(x []float64, a float64) {
	for i := range x {
		x[i] *= a
	}
}
