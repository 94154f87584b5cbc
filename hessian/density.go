package hessian

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Density is a spectral density on a grid of eigenvalues, normalised so that its values
// integrate to 1 (Σ values·Δ = 1 for the grid spacing Δ).
type Density struct {
	Grid, Values []float64
	// Nodes and Weights are each run's quadrature: Ritz values θ_j and the squared first
	// components of T's eigenvectors, which sum to 1 per run.
	Nodes, Weights [][]float64
}

// DensityOptions are PyHessian's density parameters.
type DensityOptions struct {
	Runs     int     // independent start vectors (PyHessian's n_v, default 1)
	Steps    int     // Lanczos steps per run (PyHessian's iter, default 100; at most Dim)
	Bins     int     // grid points (default 1000; PyHessian uses 10000)
	SigmaSq  float64 // Gaussian kernel variance before scaling (default 1e-5)
	Progress func()
}

// SpectralDensity estimates the spectral density of op by stochastic Lanczos quadrature, as
// PyHessian's density: each run starts Lanczos with full reorthogonalisation from a normalised
// Rademacher vector v, and the quadrature vᵀ f(A) v ≈ Σ_j w_j f(θ_j) from the Ritz values θ_j
// and weights w_j = (s_j)₁² turns into the smoothed density
//
//	ρ(t) = mean over runs of Σ_j w_j · exp(−(t − θ_j)²/2σ²)/√(2πσ²),
//
// with σ² = SigmaSq·max(1, θ_max − θ_min), on a grid from θ_min − 0.01 to θ_max + 0.01 over all
// runs, then divided by Σ ρ·Δ so that it integrates to 1 on the grid.
func SpectralDensity(op Operator, d DensityOptions, seed uint64) (Density, error) {
	n := op.Dim()
	if d.Runs <= 0 {
		d.Runs = 1
	}
	if d.Steps <= 0 {
		d.Steps = 100
	}
	if d.Bins <= 1 {
		d.Bins = 1000
	}
	if d.SigmaSq <= 0 {
		d.SigmaSq = 1e-5
	}
	r := rand.New(rand.NewPCG(seed, 0x736c71))
	var out Density
	lo, hi := math.Inf(1), math.Inf(-1)
	for run := range d.Runs {
		v := make([]float64, n)
		rademacher(r, v)
		var nodes, weights []float64
		o := Options{MaxSteps: min(d.Steps, n), Progress: d.Progress}
		_, err := lanczos(op, v, o, func(alpha, beta []float64, _ float64) bool {
			vals, vecs, err := tridiagEigen(alpha, beta)
			if err != nil {
				nodes = nil
				return true
			}
			nodes, weights = vals, make([]float64, len(vals))
			for j := range vals {
				weights[j] = vecs.At(0, j) * vecs.At(0, j)
			}
			return len(alpha) >= o.MaxSteps
		})
		if err == nil && nodes == nil {
			err = fmt.Errorf("hessian: density run %d: the tridiagonal eigenproblem failed", run+1)
		}
		if err != nil {
			return out, err
		}
		out.Nodes, out.Weights = append(out.Nodes, nodes), append(out.Weights, weights)
		lo, hi = min(lo, nodes[0]), max(hi, nodes[len(nodes)-1])
	}
	lo, hi = lo-0.01, hi+0.01
	sigma2 := d.SigmaSq * max(1, hi-lo)
	out.Grid, out.Values = make([]float64, d.Bins), make([]float64, d.Bins)
	step := (hi - lo) / float64(d.Bins-1)
	for i := range out.Grid {
		t := lo + float64(i)*step
		out.Grid[i] = t
		var s float64
		for run := range out.Nodes {
			for j, th := range out.Nodes[run] {
				s += out.Weights[run][j] * math.Exp(-(t-th)*(t-th)/(2*sigma2)) / math.Sqrt(2*math.Pi*sigma2)
			}
		}
		out.Values[i] = s / float64(d.Runs)
	}
	var total float64
	for _, v := range out.Values {
		total += v * step
	}
	for i := range out.Values {
		out.Values[i] /= total
	}
	return out, nil
}
