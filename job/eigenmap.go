package job

import (
	"context"
	"fmt"
	"math"
	"slices"

	"landscape/hessian"
	"landscape/surface"
	"landscape/train"
)

// EigenMapSpec is an eigenvalue map (landscape hessian --x): the largest and smallest Hessian
// eigenvalues at every point θ + xδ + yη of a scan's grid, with the scan's data, directions,
// shards and output (ScanSpec; its Device and Hessian are set by PrepareEigenMap).
type EigenMapSpec struct {
	ScanSpec
	Device  string          // --device: cpu or auto
	Chunk   int             // --batch-size: images per chunk of a product
	Lanczos hessian.Options // --lanczos-tol, --max-steps, --hessian-seed
}

// EigenMap is a prepared eigenvalue map: a prepared scan whose points also get max_eig and
// min_eig (surface.MaxEigKey, surface.MinEigKey); accuracy is not computed (NaN).
type EigenMap struct {
	*Scan
	Lanczos hessian.Options
	chunk   int
}

// PrepareEigenMap checks spec and prepares its grid as PrepareScan does (data, weights,
// directions, the resume check); a file resumed must hold CPU points.
func PrepareEigenMap(spec EigenMapSpec) (*EigenMap, error) {
	if err := CheckHessianDevice(spec.Device); err != nil {
		return nil, err
	}
	if err := checkChunks(spec.Workers, spec.Chunk); err != nil {
		return nil, err
	}
	if err := checkLanczos(spec.Lanczos); err != nil {
		return nil, err
	}
	o := spec.Lanczos
	s := spec.ScanSpec
	s.Device = Device{Device: "cpu", Precision: "fp32"}
	s.Hessian = fmt.Sprintf("lanczos max+min tol=%g max-steps=%d seed=%d", o.Tol, o.MaxSteps, o.Seed)
	sc, err := PrepareScan(s)
	if err != nil {
		return nil, err
	}
	sf := sc.Surface
	if sc.Resumed > 0 && !slices.Contains(surface.EngineKinds(sf.Settings.Engine), "cpu") {
		return nil, fmt.Errorf("--out %s was computed on %s, not by landscape hessian", s.Out, sf.Settings.Engine)
	}
	sf.Settings.Engine = "cpu"
	sf.ExtraArray(surface.MaxEigKey)
	sf.ExtraArray(surface.MinEigKey)
	return &EigenMap{Scan: sc, Lanczos: o, chunk: spec.Chunk}, nil
}

// Run computes the points of Todo (hessian.EigenMap), calling progress (if not nil) after
// each, and keeps the output file up to date through the scans' saver: a failed write is
// retried, and an output unwritable for longer than Patience stops the map and leaves a
// rescue file. It returns ctx's error when ctx is cancelled, after saving.
func (m *EigenMap) Run(ctx context.Context, progress func()) error {
	spec, sf := m.Spec, m.Surface
	if err := sf.Save(spec.Out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if len(m.Todo) == 0 {
		return nil
	}
	if m.Resumed > 0 {
		spec.Log("%s: resuming, %d of %d points already computed", spec.Out, m.Resumed, sf.Len())
	}
	p := m.Problem
	h, err := train.NewHVP[float32](p.Net, p.Base, p.Data, m.chunk, spec.Workers)
	if err != nil {
		return err
	}
	return keepSaved(ctx, sf, spec, func(ctx context.Context, sv *saver) error {
		return hessian.EigenMap(ctx, p, h, m.Points, m.Todo, m.Lanczos, func(k int, loss, hi, lo float64) error {
			sv.update(func(sf *surface.Surface) {
				sf.Set(k, loss, math.NaN())
				sf.Extra[surface.MaxEigKey][k], sf.Extra[surface.MinEigKey][k] = hi, lo
			})
			if progress != nil {
				progress()
			}
			return nil
		})
	})
}

// Range is the smallest and largest computed value of the map's array key (NaN, points not
// computed, skipped).
func (m *EigenMap) Range(key string) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range m.Surface.Extra[key] {
		if !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return lo, hi
}
