package surface

import "math"

// Keys of the eigenvalue-map arrays that `landscape hessian --x` stores in Extra.
const (
	MaxEigKey = "max_eig"
	MinEigKey = "min_eig"
)

// EigenRatio is the paper's convexity measure at one point, |λmin/λmax| (Li et al. 2018, §6):
// near 0 the loss is locally convex, larger values mean strong negative curvature. It is NaN
// where undefined: λmax = 0, either eigenvalue missing (NaN) or the quotient infinite.
func EigenRatio(maxEig, minEig float64) float64 {
	r := math.Abs(minEig / maxEig)
	if maxEig == 0 || math.IsInf(r, 0) {
		return math.NaN()
	}
	return r
}

// EigenRatios returns EigenRatio at every point (indexed as Loss), or nil when the surface holds
// no eigenvalue maps.
func (s *Surface) EigenRatios() []float64 {
	hi, lo := s.Extra[MaxEigKey], s.Extra[MinEigKey]
	if hi == nil || lo == nil {
		return nil
	}
	r := make([]float64, len(hi))
	for k := range r {
		r[k] = EigenRatio(hi[k], lo[k])
	}
	return r
}
