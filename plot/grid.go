package plot

import (
	"fmt"
	"math"
	"slices"
)

// grid is a 2D surface in plotted units (loss or log10 loss) on ascending
// axes; non-finite values are NaN. It implements plotter.GridXYZ with
// columns along x and rows along y.
type grid struct {
	x, y []float64
	z    []float64 // z[i*len(y)+j] at (x[i], y[j])
}

// newGrid converts a 2D surface into a grid, reversing descending axes.
func newGrid(s *Surface, o Options) (*grid, error) {
	if !s.Is2D {
		return nil, fmt.Errorf("plot: %s: not a 2D surface", s.Path)
	}
	nx, ny := len(s.X), len(s.Y)
	if nx < 2 || ny < 2 {
		return nil, fmt.Errorf("plot: %s: a 2D surface needs at least 2 coordinates per axis, have %d×%d", s.Path, nx, ny)
	}
	if len(s.Loss) != nx*ny {
		return nil, fmt.Errorf("plot: %s: %d loss values for a %d×%d grid", s.Path, len(s.Loss), nx, ny)
	}
	rx, err := axisOrder(s.Path, "xcoordinates", s.X)
	if err != nil {
		return nil, err
	}
	ry, err := axisOrder(s.Path, "ycoordinates", s.Y)
	if err != nil {
		return nil, err
	}
	g := &grid{x: slices.Clone(s.X), y: slices.Clone(s.Y), z: make([]float64, nx*ny)}
	if rx {
		slices.Reverse(g.x)
	}
	if ry {
		slices.Reverse(g.y)
	}
	for i := range nx {
		for j := range ny {
			si, sj := i, j
			if rx {
				si = nx - 1 - i
			}
			if ry {
				sj = ny - 1 - j
			}
			v := s.Loss[si*ny+sj]
			if finite(v) {
				v = o.z(v)
			} else {
				v = math.NaN()
			}
			g.z[i*ny+j] = v
		}
	}
	return g, nil
}

// axisOrder reports whether c is strictly descending, and fails unless it is
// strictly monotonic and finite.
func axisOrder(path, key string, c []float64) (bool, error) {
	up, down := true, true
	for i := range c {
		if !finite(c[i]) {
			return false, fmt.Errorf("plot: %s: %s[%d] is %v", path, key, i, c[i])
		}
		if i > 0 {
			up = up && c[i] > c[i-1]
			down = down && c[i] < c[i-1]
		}
	}
	if !up && !down {
		return false, fmt.Errorf("plot: %s: %s is not strictly monotonic", path, key)
	}
	return down && !up, nil
}

func (g *grid) Dims() (c, r int)   { return len(g.x), len(g.y) }
func (g *grid) Z(c, r int) float64 { return g.z[c*len(g.y)+r] }
func (g *grid) X(c int) float64    { return g.x[c] }
func (g *grid) Y(r int) float64    { return g.y[r] }
func (g *grid) finiteRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range g.z {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// at interpolates bilinearly at (x, y); NaN if outside the grid or if a
// corner of the enclosing cell is masked.
func (g *grid) at(x, y float64) float64 {
	i, fx, ok := locate(g.x, x)
	j, fy, ok2 := locate(g.y, y)
	if !ok || !ok2 {
		return math.NaN()
	}
	z00, z10 := g.Z(i, j), g.Z(i+1, j)
	z01, z11 := g.Z(i, j+1), g.Z(i+1, j+1)
	return (1-fx)*((1-fy)*z00+fy*z01) + fx*((1-fy)*z10+fy*z11)
}

// locate finds the cell i with a[i] <= v <= a[i+1] of ascending a and the
// fraction of v within it.
func locate(a []float64, v float64) (int, float64, bool) {
	n := len(a)
	if !(v >= a[0] && v <= a[n-1]) {
		return 0, 0, false
	}
	i, _ := slices.BinarySearch(a, v)
	i = max(0, min(i-1, n-2))
	return i, (v - a[i]) / (a[i+1] - a[i]), true
}
