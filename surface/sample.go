package surface

import (
	"fmt"
	"math"
)

// SampleStats summarises a tolerance scan's computed points: the largest standard error
// (and the point holding it, with its loss), and the fewest, mean and most images used.
type SampleStats struct {
	MaxStdErr, LossAtMax float64
	AtMax                int // k of the largest standard error
	MinImages, MaxImages int
	MeanImages           float64
	Points               int // computed points with an error bar
}

// SampleStats returns the statistics of the surface's standard errors and images used; ok is
// false for an exact surface or one with no estimate yet.
func (s *Surface) SampleStats() (st SampleStats, ok bool) {
	se, im := s.Extra[StdErrKey(s.Split)], s.Extra[ImagesKey(s.Split)]
	if !s.Sampled() || se == nil || im == nil {
		return st, false
	}
	st.MaxStdErr, st.MinImages = -1, math.MaxInt
	var sum float64
	for k, c := range s.Computed {
		if !c || math.IsNaN(se[k]) || math.IsNaN(im[k]) {
			continue
		}
		st.Points++
		if se[k] > st.MaxStdErr {
			st.MaxStdErr, st.AtMax, st.LossAtMax = se[k], k, s.Loss[k]
		}
		n := int(im[k])
		st.MinImages, st.MaxImages = min(st.MinImages, n), max(st.MaxImages, n)
		sum += im[k]
	}
	if st.Points == 0 {
		return SampleStats{}, false
	}
	st.MeanImages = sum / float64(st.Points)
	return st, true
}

// SampleNote is one line on a tolerance surface for the viewers, e.g. "estimates to ±1% (sample
// seed 0): largest standard error 0.0123 (loss 1.25 at (0.1, -0.2)); images per point 512–4000,
// mean 1630 of 4000 (41%)"; "" for an exact surface.
func (s *Surface) SampleNote() string {
	st, ok := s.SampleStats()
	if !ok {
		return ""
	}
	a, b := s.Coord(st.AtMax)
	at := fmt.Sprintf("(%.4g)", a)
	if s.Is2D() {
		at = fmt.Sprintf("(%.4g, %.4g)", a, b)
	}
	n := s.Settings.Examples
	return fmt.Sprintf("estimates to ±%g%% (sample seed %d): largest standard error %.4g (loss %.4g at %s); images per point %d–%d, mean %.0f of %d (%.0f%%)",
		100*s.Settings.Tolerance, s.Settings.SampleSeed, st.MaxStdErr, st.LossAtMax, at, st.MinImages, st.MaxImages,
		st.MeanImages, n, 100*st.MeanImages/float64(max(n, 1)))
}
