// Package engine defines what a compute engine does: evaluate the network at many weight sets
// θ + α_k·δ + β_k·η on a range of images, returning per-point loss sums and correct counts.
// The scheduler (package sched) drives any engine through this interface; the CPU engine is the
// reference every other engine is tested against (package enginetest).
package engine

import (
	"context"
	"fmt"

	"landscape/data"
	"landscape/model"
)

// Problem is everything fixed for a whole scan. Engines must not modify it.
type Problem struct {
	Net  *model.Net
	Plan *model.Plan
	Base *model.Weights // θ, in state_dict order
	DX   *model.Weights // δ: entries absent from it are not perturbed
	DY   *model.Weights // η, or nil for a 1D scan
	Data *data.Set
}

// NewProblem compiles the network and checks that weights, directions and data fit it.
func NewProblem(n *model.Net, base, dx, dy *model.Weights, d *data.Set) (*Problem, error) {
	plan, err := model.Compile(n)
	if err != nil {
		return nil, err
	}
	if in := n.Input(); d.C != in[0] || d.H != in[1] || d.W != in[2] {
		return nil, fmt.Errorf("data %s has %dx%dx%d images (CxHxW), model %s expects %dx%dx%d", d.Name, d.C, d.H, d.W, n.Name, in[0], in[1], in[2])
	}
	if d.Classes > n.Classes {
		return nil, fmt.Errorf("data %s has %d classes, model %s only %d outputs", d.Name, d.Classes, n.Name, n.Classes)
	}
	for _, dir := range []*model.Weights{dx, dy} {
		if dir == nil {
			continue
		}
		for _, name := range dir.Names {
			b := base.Get(name)
			if b == nil || len(b.Data) != len(dir.Tensors[name].Data) {
				return nil, fmt.Errorf("direction entry %q does not match the weights", name)
			}
		}
	}
	return &Problem{Net: n, Plan: plan, Base: base, DX: dx, DY: dy, Data: d}, nil
}

// Point is one grid point's coordinates (β is ignored in 1D scans).
type Point struct{ A, B float64 }

// Sums is an engine's result for one point over a range of images.
type Sums struct {
	Loss    float64 // Σ cross-entropy (natural log) over the images
	Correct int64   // images whose arg-max logit is the label
	// LossSq is Σ cross-entropy² over the images, from engines that implement Squares (the
	// per-image variance a sampled estimate's standard error needs); 0 from the others.
	LossSq float64
}

// Squares is implemented by engines whose Sums carry LossSq.
type Squares interface {
	SumsSquares() bool
}

// SumsSquares reports whether e's Sums carry LossSq.
func SumsSquares(e Engine) bool {
	s, ok := e.(Squares)
	return ok && s.SumsSquares()
}

// Engine evaluates weight sets of one Problem. An Engine is used by one goroutine at a time.
type Engine interface {
	// Name says which engine this is, e.g. "cpu" or "gpu0 (NVIDIA H100)".
	Name() string
	// Evaluate returns, for each point, the sums over images [lo, hi) of the problem's data.
	Evaluate(ctx context.Context, pts []Point, lo, hi int) ([]Sums, error)
	// Close releases the engine's resources.
	Close() error
}

// Factory makes an engine for a problem.
type Factory func(p *Problem) (Engine, error)

// WeightsAt returns the weight set θ + α·δ + β·η, combined as Perturb does. Entries without a
// direction are shared with Base.
func (p *Problem) WeightsAt(pt Point) *model.Weights {
	out := model.NewWeights()
	for _, name := range p.Base.Names {
		base := p.Base.Tensors[name]
		if p.DX.Get(name) == nil && p.DY.Get(name) == nil {
			out.Add(base)
			continue
		}
		t := &model.Tensor{Name: name, Shape: base.Shape}
		t.Data = p.Perturb(name, pt, make([]float32, len(base.Data)))
		out.Add(t)
	}
	return out
}

// Perturb writes entry name of the weight set at pt into dst and returns it, or returns the
// base entry itself when no direction covers it. The combine is PyTorch's, in float32:
// w + (float32(α)·d_x + float32(β)·d_y), each product rounded on its own (never fused into an
// FMA), as the GPU kernel does too.
func (p *Problem) Perturb(name string, pt Point, dst []float32) []float32 {
	base := p.Base.Tensors[name].Data
	dx, dy := p.DX.Get(name), p.DY.Get(name)
	if dx == nil && dy == nil {
		return base
	}
	a, b := float32(pt.A), float32(pt.B)
	dst = dst[:len(base)]
	for i, w := range base {
		var d float32
		if dx != nil {
			d = float32(a * dx.Data[i])
		}
		if dy != nil {
			d += float32(b * dy.Data[i])
		}
		dst[i] = w + d
	}
	return dst
}
