package plot

import (
	"math"
)

// pt is a point in data coordinates.
type pt struct{ x, y float64 }

// isolines traces the level-z contour of g by marching squares and returns
// it as polylines. Cells with a masked (NaN) corner are skipped, so lines
// end at the edge of masked regions instead of circling them. Saddle cells
// are resolved by the cell's mean value.
func isolines(g *grid, z float64) [][]pt {
	nx, ny := g.Dims()
	pos := map[int]pt{}
	var segs [][2]int
	// edge returns the key of the crossing on the edge from corner
	// (i0, j0) to (i1, j1), one of which has the larger index.
	edge := func(i0, j0, i1, j1 int) int {
		v0, v1 := g.Z(i0, j0), g.Z(i1, j1)
		k := 2 * (min(i0, i1)*ny + min(j0, j1))
		if i0 == i1 {
			k++ // vertical edge
		}
		if _, ok := pos[k]; !ok {
			t := (z - v0) / (v1 - v0)
			pos[k] = pt{g.x[i0] + t*(g.x[i1]-g.x[i0]), g.y[j0] + t*(g.y[j1]-g.y[j0])}
		}
		return k
	}
	for i := range nx - 1 {
		for j := range ny - 1 {
			a, b, c, d := g.Z(i, j), g.Z(i+1, j), g.Z(i+1, j+1), g.Z(i, j+1)
			if math.IsNaN(a + b + c + d) {
				continue
			}
			idx := bit(a >= z) | bit(b >= z)<<1 | bit(c >= z)<<2 | bit(d >= z)<<3
			if idx == 0 || idx == 15 {
				continue
			}
			bottom := func() int { return edge(i, j, i+1, j) }
			right := func() int { return edge(i+1, j, i+1, j+1) }
			top := func() int { return edge(i, j+1, i+1, j+1) }
			left := func() int { return edge(i, j, i, j+1) }
			add := func(p, q int) { segs = append(segs, [2]int{p, q}) }
			centre := (a+b+c+d)/4 >= z
			switch idx {
			case 1, 14:
				add(left(), bottom())
			case 2, 13:
				add(bottom(), right())
			case 3, 12:
				add(left(), right())
			case 4, 11:
				add(right(), top())
			case 6, 9:
				add(bottom(), top())
			case 7, 8:
				add(left(), top())
			case 5: // a and c above
				if centre {
					add(bottom(), right())
					add(top(), left())
				} else {
					add(left(), bottom())
					add(right(), top())
				}
			case 10: // b and d above
				if centre {
					add(left(), bottom())
					add(right(), top())
				} else {
					add(bottom(), right())
					add(top(), left())
				}
			}
		}
	}
	return chain(segs, pos)
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// chain joins segments sharing an edge key into polylines: open ones
// first, starting from an end used by one segment only, then closed loops.
func chain(segs [][2]int, pos map[int]pt) [][]pt {
	adj := map[int][]int{}
	for i, s := range segs {
		adj[s[0]] = append(adj[s[0]], i)
		adj[s[1]] = append(adj[s[1]], i)
	}
	used := make([]bool, len(segs))
	walk := func(cur, k int) []pt {
		line := []pt{pos[k]}
		for cur >= 0 {
			used[cur] = true
			if s := segs[cur]; s[0] == k {
				k = s[1]
			} else {
				k = s[0]
			}
			line = append(line, pos[k])
			cur = -1
			for _, o := range adj[k] {
				if !used[o] {
					cur = o
					break
				}
			}
		}
		return line
	}
	var lines [][]pt
	for i, s := range segs {
		switch {
		case used[i]:
		case len(adj[s[0]]) == 1:
			lines = append(lines, walk(i, s[0]))
		case len(adj[s[1]]) == 1:
			lines = append(lines, walk(i, s[1]))
		}
	}
	for i, s := range segs {
		if !used[i] {
			lines = append(lines, walk(i, s[0]))
		}
	}
	return lines
}
