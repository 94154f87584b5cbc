package surface

import (
	"fmt"
	"slices"
	"testing"
)

func testGrid(nx, ny int) *Surface {
	var y Axis
	if ny > 0 {
		y = Axis{Min: -1, Max: 1, Num: ny}
	}
	return New(Axis{Min: -1, Max: 1, Num: nx}, y, "train", Settings{})
}

// TestCoarseToFineLevels checks that the order visits every point once and that after each
// level the points visited are exactly that level's full sub-grid, corners included.
func TestCoarseToFineLevels(t *testing.T) {
	for _, sz := range [][2]int{{51, 51}, {1, 0}, {2, 0}, {7, 0}, {51, 0}, {5, 9}, {33, 17}, {2, 2}, {3, 64}} {
		t.Run(fmt.Sprint(sz), func(t *testing.T) {
			s := testGrid(sz[0], sz[1])
			order := s.CoarseToFine()
			seen := make([]bool, s.Len())
			for _, k := range order {
				if k < 0 || k >= s.Len() || seen[k] {
					t.Fatalf("order visits point %d twice or out of range (%d points)", k, s.Len())
				}
				seen[k] = true
			}
			if len(order) != s.Len() {
				t.Fatalf("order has %d points, want %d", len(order), s.Len())
			}
			steps := s.Steps()
			if steps[len(steps)-1] != 1 {
				t.Fatalf("finest level %d, want 1", steps[len(steps)-1])
			}
			done := 0
			for li, st := range steps {
				xs, ys := s.levelIndices(st)
				if !s.Is2D() {
					ys = []int{0}
				}
				if xs[0] != 0 || xs[len(xs)-1] != len(s.X)-1 || (s.Is2D() && ys[len(ys)-1] != len(s.Y)-1) {
					t.Fatalf("level %d misses an edge: x %v y %v", st, xs, ys)
				}
				want := map[int]bool{}
				for _, j := range ys {
					for _, i := range xs {
						want[s.Index(i, j)] = true
					}
				}
				if li > 0 && len(want) <= done && st > 1 {
					t.Errorf("level %d adds no point", st)
				}
				if len(want) < done {
					t.Fatalf("level %d has %d points, fewer than the %d before it", st, len(want), done)
				}
				for _, k := range order[:len(want)] {
					if !want[k] {
						t.Fatalf("point %d is among the first %d but not in level %d", k, len(want), st)
					}
				}
				done = len(want)
			}
		})
	}
}

// TestDrawableLevel fills a 51×51 surface in coarse-to-fine order and checks the level a viewer
// draws after each count of points.
func TestDrawableLevel(t *testing.T) {
	s := testGrid(51, 51)
	order := s.CoarseToFine()
	for _, c := range []struct {
		points int
		note   string
		shape  string
	}{{0, "", "51×51"}, {8, "", "51×51"}, {9, "level 3×3 of 51×51", "3×3"}, {195, "level 8×8 of 51×51", "8×8"},
		{196, "level 14×14 of 51×51", "14×14"}, {2600, "level 26×26 of 51×51", "26×26"}, {2601, "", "51×51"}} {
		for k := range s.Computed {
			s.Computed[k], s.Loss[k] = false, float64(-k)
		}
		for _, k := range order[:c.points] {
			s.Set(k, float64(k), 1)
		}
		d, note := s.Drawable()
		if note != c.note || d.Shape() != c.shape {
			t.Errorf("%d points: drawn %s %q, want %s %q", c.points, d.Shape(), note, c.shape, c.note)
		}
		if note == "" {
			continue
		}
		if d.X[0] != -1 || d.X[len(d.X)-1] != 1 || d.Y[0] != -1 || d.Y[len(d.Y)-1] != 1 {
			t.Errorf("%d points: level %s does not span the axes: x %v", c.points, d.Shape(), d.X)
		}
		for k, ok := range d.Computed {
			a, b := d.Coord(k)
			i, j := slices.Index(s.X, a), slices.Index(s.Y, b)
			if !ok || i < 0 || j < 0 || d.Loss[k] != float64(s.Index(i, j)) {
				t.Fatalf("%d points: level point %d (%v,%v) computed %v loss %v", c.points, k, a, b, ok, d.Loss[k])
			}
		}
	}
}
