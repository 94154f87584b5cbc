// Package view makes interactive pages of loss surfaces: one self-contained HTML file (plotly.js
// embedded, opens offline) with a 3D surface, contours and a heat map with a read-out of
// (x, y, loss, accuracy) under the cursor, 1D curves, log/clip controls, several files side by
// side with one colour scale and linked cameras, an optimiser trajectory and Hessian
// eigenvalue-ratio maps; and a read-only local server that pushes the page new points as a scan
// writes them (server-sent events).
package view

import (
	"math"
	"path/filepath"
	"strconv"

	"landscape/surface"
)

// num is a float64 that encodes as JSON null when it is not finite: the page shows such points
// as gaps (not computed yet, or diverged).
type num float64

// MarshalJSON writes the shortest decimal that reads back as the same float64, or null.
func (v num) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// Point states in Figure.State.
const (
	Pending  = 0 // not computed yet
	Finite   = 1 // computed, finite loss
	Diverged = 2 // computed, loss ±Inf or NaN
)

// Figure is one surface file laid out for the page. Grids are rows by y: Loss[j][i] is the
// point (X[i], Y[j]) (plotly's z[row][column]); a 1D surface has one row and no Y.
type Figure struct {
	Name     string    `json:"name"` // the file's base name
	Path     string    `json:"path"`
	Split    string    `json:"split"`
	Model    string    `json:"model"`
	Examples int       `json:"examples"`
	Is2D     bool      `json:"is2D"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y,omitempty"`
	Loss     [][]num   `json:"loss"`
	Acc      [][]num   `json:"acc"`
	State    [][]int8  `json:"state"`
	// Ratio is |λmin/λmax| of the Hessian at each point when the file holds max_eig and
	// min_eig (Li et al. §6: near 0 the surface is convex there, larger it is not); else nil.
	Ratio      [][]num     `json:"ratio,omitempty"`
	Trajectory *Trajectory `json:"trajectory,omitempty"` // drawn on this figure only (reports)
	// Level says which coarser sub-grid of a partial file is drawn ("level 14×14 of 51×51",
	// surface.Drawable); "" when the figure is the whole grid.
	Level string `json:"level,omitempty"`
	// StdErr and Images are a tolerance scan's standard error of each point's loss and the
	// images it used (the file's <split>_loss_stderr and <split>_images); nil for an exact one.
	StdErr [][]num `json:"stderr,omitempty"`
	Images [][]num `json:"images,omitempty"`
	// Sampled summarises a tolerance scan's error bars and images used (surface.SampleNote).
	Sampled  string `json:"sampled,omitempty"`
	Done     int    `json:"done"`     // points computed
	Diverged int    `json:"diverged"` // of which non-finite
	Total    int    `json:"total"`
	Error    string `json:"error,omitempty"` // why the file could not be read (live pages wait for it)
}

// LoadFigure reads a surface file with surface.Load and lays it out on the grid.
func LoadFigure(path string) (*Figure, error) {
	s, err := surface.Load(path)
	if err != nil {
		return nil, err
	}
	return FromSurface(path, s), nil
}

// FromSurface lays out a loaded surface; point k goes to the grid cell (i, j) = s.IJ(k). A
// partial file whose points form a complete coarser level is laid out as that level's sub-grid
// (surface.Drawable), Done and Total still counting the whole grid. When
// the surface has the Extra arrays max_eig and min_eig, Ratio is their |min/max| (a gap where
// undefined: an eigenvalue missing or not finite, or max = 0).
func FromSurface(path string, whole *surface.Surface) *Figure {
	s, level := whole.Drawable()
	f := &Figure{Name: filepath.Base(path), Path: path, Split: s.Split, Model: s.Settings.Model,
		Examples: s.Settings.Examples, Is2D: s.Is2D(), X: s.X, Y: s.Y, Total: whole.Len(), Level: level, Sampled: whole.SampleNote()}
	nx, ny := len(s.X), 1
	if f.Is2D {
		ny = len(s.Y)
	}
	f.Loss, f.Acc, f.State = grid[num](nx, ny, num(math.NaN())), grid[num](nx, ny, num(math.NaN())), grid[int8](nx, ny, Pending)
	se, im := s.Extra[surface.StdErrKey(s.Split)], s.Extra[surface.ImagesKey(s.Split)]
	if !s.Sampled() || se == nil || im == nil {
		se, im = nil, nil
	} else {
		f.StdErr, f.Images = grid[num](nx, ny, num(math.NaN())), grid[num](nx, ny, num(math.NaN()))
	}
	ratio := s.EigenRatios()
	if ratio != nil {
		f.Ratio = grid[num](nx, ny, num(math.NaN()))
	}
	for k := range s.Len() {
		i, j := s.IJ(k)
		if f.Ratio != nil {
			f.Ratio[j][i] = num(ratio[k])
		}
		if !s.Computed[k] {
			continue
		}
		if se != nil {
			f.StdErr[j][i], f.Images[j][i] = num(se[k]), num(im[k])
		}
		f.Loss[j][i], f.Acc[j][i], f.State[j][i] = num(s.Loss[k]), num(s.Acc[k]), Finite
		if l := s.Loss[k]; math.IsNaN(l) || math.IsInf(l, 0) {
			f.State[j][i] = Diverged
		}
	}
	for k, c := range whole.Computed { // counted over the whole grid, drawn or not
		if c {
			f.Done++
			if l := whole.Loss[k]; math.IsNaN(l) || math.IsInf(l, 0) {
				f.Diverged++
			}
		}
	}
	return f
}

func grid[T any](nx, ny int, fill T) [][]T {
	g := make([][]T, ny)
	for j := range g {
		g[j] = make([]T, nx)
		for i := range g[j] {
			g[j][i] = fill
		}
	}
	return g
}
