package surface

import "fmt"

// Coarse-to-fine levels of a grid. Level s (a power of two) of an axis of n points holds the
// indices that are multiples of s, and the last index n−1, so that every level spans the whole
// range, edges included; level s of a 2D grid is the product of its axes' level s. Levels are
// nested (level s is part of level s/2), level 1 is the whole grid, and the coarsest is the
// largest s < n−1 of the longer axis (3 indices on it: 0, s and n−1).

// AxisLevel returns the indices of level s of an axis of n points, ascending.
func AxisLevel(n, s int) []int {
	var out []int
	for i := 0; i < n; i += s {
		out = append(out, i)
	}
	if n > 0 && out[len(out)-1] != n-1 {
		out = append(out, n-1)
	}
	return out
}

// inLevel reports whether index i of an axis of n points belongs to level s.
func inLevel(i, n, s int) bool { return i%s == 0 || i == n-1 }

// Steps returns the levels of the surface's grid, coarsest first, ending with 1.
func (s *Surface) Steps() []int {
	n := len(s.X)
	if s.Is2D() {
		n = max(n, len(s.Y))
	}
	top := 1
	for 2*top < n-1 {
		top *= 2
	}
	var out []int
	for st := top; st >= 1; st /= 2 {
		out = append(out, st)
	}
	return out
}

// LevelOf returns the coarsest level s that point k belongs to.
func (s *Surface) LevelOf(k int) int {
	i, j := s.IJ(k)
	for _, st := range s.Steps() {
		if inLevel(i, len(s.X), st) && (!s.Is2D() || inLevel(j, len(s.Y), st)) {
			return st
		}
	}
	return 1
}

// CoarseToFine returns every point k once: the coarsest level's points first, then those each
// finer level adds, each level's in row-major order.
func (s *Surface) CoarseToFine() []int {
	steps := s.Steps()
	byLevel := make(map[int][]int, len(steps))
	for k := range s.Len() {
		st := s.LevelOf(k)
		byLevel[st] = append(byLevel[st], k)
	}
	out := make([]int, 0, s.Len())
	for _, st := range steps {
		out = append(out, byLevel[st]...)
	}
	return out
}

// levelIndices returns the axis indices of level st (ys nil for 1D).
func (s *Surface) levelIndices(st int) (xs, ys []int) {
	xs = AxisLevel(len(s.X), st)
	if s.Is2D() {
		ys = AxisLevel(len(s.Y), st)
	}
	return xs, ys
}

// levelComplete reports whether every point of level st is computed.
func (s *Surface) levelComplete(st int) bool {
	xs, ys := s.levelIndices(st)
	if !s.Is2D() {
		ys = []int{0}
	}
	for _, j := range ys {
		for _, i := range xs {
			if !s.Computed[s.Index(i, j)] {
				return false
			}
		}
	}
	return true
}

// FinestLevel returns the finest level whose points are all computed, or 0 when not even the
// coarsest is (a file computed in row order, or one shard).
func (s *Surface) FinestLevel() int {
	best := 0
	for _, st := range s.Steps() {
		if !s.levelComplete(st) {
			break
		}
		best = st
	}
	return best
}

// Level returns the sub-grid of level st: its axes' coordinates and every array's values there
// (Computed all true when the level is complete), with the same split and settings.
func (s *Surface) Level(st int) *Surface {
	xs, ys := s.levelIndices(st)
	out := &Surface{Split: s.Split, Settings: s.Settings, Extra: map[string][]float64{}}
	for _, i := range xs {
		out.X = append(out.X, s.X[i])
	}
	rows := []int{0}
	if s.Is2D() {
		rows = ys
		for _, j := range ys {
			out.Y = append(out.Y, s.Y[j])
		}
	}
	pick := func(v []float64) []float64 {
		sub := make([]float64, 0, len(xs)*len(rows))
		for _, j := range rows {
			for _, i := range xs {
				sub = append(sub, v[s.Index(i, j)])
			}
		}
		return sub
	}
	out.Loss, out.Acc = pick(s.Loss), pick(s.Acc)
	for key, v := range s.Extra {
		out.Extra[key] = pick(v)
	}
	for _, j := range rows {
		for _, i := range xs {
			out.Computed = append(out.Computed, s.Computed[s.Index(i, j)])
		}
	}
	return out
}

// Shape is "NX×NY" (or "N" for 1D): the grid's size as the viewers print it.
func (s *Surface) Shape() string {
	if s.Is2D() {
		return fmt.Sprintf("%d×%d", len(s.X), len(s.Y))
	}
	return fmt.Sprint(len(s.X))
}

// Drawable returns what a viewer should draw of a partial surface: the finest complete level's
// sub-grid, at the full extent, and a note such as "level 14×14 of 51×51"; the surface itself
// and "" when it is complete, or when not even the coarsest level is (then missing points are
// drawn as holes).
func (s *Surface) Drawable() (*Surface, string) {
	st := s.FinestLevel()
	if st <= 1 {
		return s, ""
	}
	sub := s.Level(st)
	return sub, fmt.Sprintf("level %s of %s", sub.Shape(), s.Shape())
}
