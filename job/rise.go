package job

import (
	"errors"
	"math"

	"landscape/surface"
)

// Rise is the loss at the origin and its mean rise at distance r along the axes: over the
// points (±r) of a 1D surface, (±r, 0) and (0, ±r) of a 2D one, each interpolated linearly
// between grid points (bilinearly in 2D), the non-finite ones left out. For filter-normalised
// directions it compares the sharpness of minima: the smaller, the wider. n is how many of the
// points were finite.
func Rise(s *surface.Surface, r float64) (origin, rise float64, n int, err error) {
	origin = lossAt(s, 0, 0)
	pts := [][2]float64{{-r, 0}, {r, 0}}
	if s.Is2D() {
		pts = append(pts, [2]float64{0, -r}, [2]float64{0, r})
	}
	var sum float64
	for _, p := range pts {
		if v := lossAt(s, p[0], p[1]); !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += v
			n++
		}
	}
	if n == 0 || math.IsNaN(origin) {
		return origin, math.NaN(), 0, errors.New("no finite loss at the origin or at that distance")
	}
	return origin, sum/float64(n) - origin, n, nil
}

// RiseStdErr bounds the standard error of Rise(s, r) for a tolerance surface: the rise is a
// combination with non-negative weights w of the points' estimates (the interpolation weights
// divided by n, and 1 at the origin's), so its standard deviation is at most Σ w·σ whatever the
// points' correlation (Minkowski's inequality); with common random numbers the errors of
// neighbouring points are positively correlated and largely cancel in the difference, so the
// true error is usually much smaller. NaN for an exact surface (and where Rise has none).
func RiseStdErr(s *surface.Surface, r float64) float64 {
	se := s.Extra[surface.StdErrKey(s.Split)]
	if !s.Sampled() || se == nil {
		return math.NaN()
	}
	pts := [][2]float64{{-r, 0}, {r, 0}}
	if s.Is2D() {
		pts = append(pts, [2]float64{0, -r}, [2]float64{0, r})
	}
	var sum float64
	n := 0
	for _, p := range pts {
		if v := lossAt(s, p[0], p[1]); !math.IsNaN(v) && !math.IsInf(v, 0) {
			sum += valueAt(s, se, p[0], p[1])
			n++
		}
	}
	return sum/float64(n) + valueAt(s, se, 0, 0)
}

// lossAt interpolates the loss at (x, y) (valueAt).
func lossAt(s *surface.Surface, x, y float64) float64 { return valueAt(s, s.Loss, x, y) }

// valueAt interpolates v, an array of the grid, at (x, y): along y at the two x columns around
// x, then along x. NaN outside the grid.
func valueAt(s *surface.Surface, v []float64, x, y float64) float64 {
	if !s.Is2D() {
		return interp(s.X, func(i int) float64 { return v[i] }, x)
	}
	column := func(i int) float64 {
		return interp(s.Y, func(j int) float64 { return v[s.Index(i, j)] }, y)
	}
	return interp(s.X, column, x)
}

// interp interpolates z, given at the monotonic coordinates c, linearly at v.
func interp(c []float64, z func(int) float64, v float64) float64 {
	i, f, ok := bracket(c, v)
	switch {
	case !ok:
		return math.NaN()
	case f == 0:
		return z(i)
	case f == 1:
		return z(i + 1)
	}
	return (1-f)*z(i) + f*z(i+1)
}

// bracket finds i and the fraction f with v = (1−f)·c[i] + f·c[i+1].
func bracket(c []float64, v float64) (int, float64, bool) {
	for i := 0; i+1 < len(c); i++ {
		a, b := c[i], c[i+1]
		if (v-a)*(v-b) <= 0 && a != b {
			return i, (v - a) / (b - a), true
		}
	}
	if len(c) == 1 && c[0] == v {
		return 0, 0, true
	}
	return 0, 0, false
}
