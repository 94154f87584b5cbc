package hessian

import (
	"encoding/json"
	"fmt"

	"landscape/model"
)

// Request says what Analyse computes at one point.
type Request struct {
	Top        int     // >0: the Top largest eigenvalues and the smallest (Lanczos)
	Trace      bool    // Hutchinson's trace with tolerance TraceTol and at most MaxSamples samples
	TraceTol   float64 // stop when the standard error < TraceTol·|estimate|
	MaxSamples int
	Density    bool // the SLQ spectral density
	DensityOpt DensityOptions
	Options    Options // Lanczos tolerance, step limit, seed and progress
}

// Report holds what was computed, under the JSON keys of `landscape hessian --out`; what was
// not asked for is absent.
type Report struct {
	TopEigenvalues []float64    `json:"top_eigenvalues,omitempty"` // descending
	MinEigenvalue  *float64     `json:"min_eigenvalue,omitempty"`
	Trace          *float64     `json:"trace,omitempty"`
	TraceStdErr    *float64     `json:"trace_stderr,omitempty"`
	TraceSamples   *int         `json:"trace_samples,omitempty"`
	Density        *DensityJSON `json:"density,omitempty"`
	// Not written: how the eigenvalues were found.
	Extremes *Extremes `json:"-"`
}

// DensityJSON is a density's grid and values (integrating to 1).
type DensityJSON struct {
	Grid   []float64 `json:"grid"`
	Values []float64 `json:"values"`
}

// Analyse computes what r asks for about op.
func Analyse(op Operator, r Request) (Report, error) {
	var out Report
	if !(r.Top > 0 || r.Trace || r.Density) {
		return out, fmt.Errorf("hessian: nothing to compute (ask for eigenvalues, the trace or the density)")
	}
	if r.Top > 0 {
		e, err := TopEigenvalues(op, r.Top, r.Options)
		if err != nil {
			return out, err
		}
		out.TopEigenvalues, out.MinEigenvalue, out.Extremes = e.Top, &e.Min, &e
	}
	if r.Trace {
		t, err := HutchinsonTrace(op, r.TraceTol, r.MaxSamples, r.Options)
		if err != nil {
			return out, err
		}
		out.Trace, out.TraceStdErr, out.TraceSamples = &t.Estimate, &t.StdErr, &t.Samples
	}
	if r.Density {
		do := r.DensityOpt
		do.Progress = r.Options.Progress
		d, err := SpectralDensity(op, do, r.Options.Seed)
		if err != nil {
			return out, err
		}
		out.Density = &DensityJSON{d.Grid, d.Values}
	}
	return out, nil
}

// Products is how many Hessian-vector products r needs at most (for a progress bar).
func (r Request) Products(dim int) int {
	n := 0
	if r.Top > 0 {
		n += min(dim, r.Options.withDefaults(dim).MaxSteps)
	}
	if r.Trace {
		n += r.MaxSamples
	}
	if r.Density {
		steps := r.DensityOpt.Steps
		if steps <= 0 {
			steps = 100
		}
		n += max(1, r.DensityOpt.Runs) * min(dim, steps)
	}
	return n
}

// WriteJSON writes the report to path atomically (indented JSON).
func (r Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return model.WriteFileAtomic(path, append(b, '\n'))
}
