package hessian

import (
	"context"

	"landscape/engine"
	"landscape/train"
)

// EigenMap computes, for each grid point pts[k] with k in todo, the mean loss and the largest
// and smallest Hessian eigenvalues at the weights p.WeightsAt(pts[k]) = θ + x·δ + y·η (running
// statistics perturbed too when the directions cover them), as the paper's
// plot_hessian_eigen.py maps them. Every point starts Lanczos from the same seed, so a value
// does not depend on which points were computed before. done receives each point's results
// as soon as they are known; EigenMap stops early, between points, when ctx is cancelled or
// done fails.
func EigenMap(ctx context.Context, p *engine.Problem, h *train.HVP[float32], pts []engine.Point, todo []int, o Options,
	done func(k int, loss, maxEig, minEig float64) error) error {
	for _, k := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := h.SetWeights(p.WeightsAt(pts[k])); err != nil {
			return err
		}
		loss := h.Apply(nil, nil, nil)
		e, err := TopEigenvalues(Network(h), 1, o)
		if err != nil {
			return err
		}
		if err := done(k, loss, e.Top[0], e.Min); err != nil {
			return err
		}
	}
	return nil
}
