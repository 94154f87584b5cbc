package surface

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"landscape/data"
	"landscape/model"
)

// Surface is a grid of results. Point k of a 2D surface is (X[i], Y[j]) with k = j·len(X) + i
// (Index, IJ): the row-major order of the (ny, nx) arrays of the file. A 1D surface has no Y
// and k = i.
type Surface struct {
	X, Y     []float64
	Split    string    // "train" or "test": the split Loss and Acc belong to
	Loss     []float64 // mean cross-entropy; NaN until computed (a diverged point stays non-finite)
	Acc      []float64 // accuracy in percent; NaN until computed
	Computed []bool
	// Extra holds further arrays of the grid's shape by their file keys (e.g. "max_eig", or
	// "test_loss" beside a train surface), indexed as Loss; NaN where not computed.
	Extra    map[string][]float64
	Settings Settings
}

// New returns an empty surface for the given axes (y.Num == 0 for 1D).
func New(x, y Axis, split string, s Settings) *Surface {
	sf := &Surface{X: x.Coords(), Split: split, Settings: s, Extra: map[string][]float64{}}
	if y.Num > 0 {
		sf.Y = y.Coords()
	}
	n := sf.Len()
	sf.Loss, sf.Acc, sf.Computed = nanSlice(n), nanSlice(n), make([]bool, n)
	return sf
}

func nanSlice(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// Is2D reports whether the surface has a y axis.
func (s *Surface) Is2D() bool { return s.Y != nil }

// Len is the number of grid points.
func (s *Surface) Len() int {
	if s.Is2D() {
		return len(s.X) * len(s.Y)
	}
	return len(s.X)
}

// Index returns k of the point (X[i], Y[j]): j·len(X) + i (i for 1D surfaces).
func (s *Surface) Index(i, j int) int {
	if !s.Is2D() {
		return i
	}
	return j*len(s.X) + i
}

// IJ returns the axis indices of point k: X[i], Y[j] (j = 0 for 1D surfaces).
func (s *Surface) IJ(k int) (i, j int) {
	if !s.Is2D() {
		return k, 0
	}
	return k % len(s.X), k / len(s.X)
}

// Coord returns the coordinates of point k (b = 0 for 1D surfaces).
func (s *Surface) Coord(k int) (a, b float64) {
	i, j := s.IJ(k)
	if !s.Is2D() {
		return s.X[i], 0
	}
	return s.X[i], s.Y[j]
}

// Missing lists the points not yet computed, in index order.
func (s *Surface) Missing() []int {
	var out []int
	for k, c := range s.Computed {
		if !c {
			out = append(out, k)
		}
	}
	return out
}

// Set records point k's results.
func (s *Surface) Set(k int, loss, acc float64) {
	s.Loss[k], s.Acc[k], s.Computed[k] = loss, acc, true
}

// ExtraArray returns the extra array key, made (all NaN) when the surface has none yet.
func (s *Surface) ExtraArray(key string) []float64 {
	if s.Extra == nil {
		s.Extra = map[string][]float64{}
	}
	if s.Extra[key] == nil {
		s.Extra[key] = nanSlice(s.Len())
	}
	return s.Extra[key]
}

// SelectSplit makes split ("train" or "test") the surface's Loss and Acc, taking them from
// Extra's "<split>_loss" and "<split>_acc" (where a file with both splits keeps the second);
// the arrays it replaces move to Extra.
func (s *Surface) SelectSplit(split string) error {
	if split == s.Split {
		return nil
	}
	if err := data.CheckSplit("split", split); err != nil {
		return err
	}
	l, a := s.Extra[split+"_loss"], s.Extra[split+"_acc"]
	if l == nil || a == nil {
		return fmt.Errorf("the surface has no %s split (only %s)", split, s.Split)
	}
	delete(s.Extra, split+"_loss")
	delete(s.Extra, split+"_acc")
	s.Extra[s.Split+"_loss"], s.Extra[s.Split+"_acc"] = s.Loss, s.Acc
	s.Split, s.Loss, s.Acc = split, l, a
	return nil
}

// reserved are the keys Save writes besides Extra.
func (s *Surface) reserved(key string) bool {
	return slices.Contains([]string{"xcoordinates", "ycoordinates", "computed", "settings", s.Split + "_loss", s.Split + "_acc"}, key)
}

// Encode returns the .npz bytes (format 2): xcoordinates (nx,), ycoordinates (ny,) for 2D,
// <split>_loss, <split>_acc and every Extra array (float64) and computed (uint8), each of
// shape (ny, nx) with Z[j, i] at (x_i, y_j), or (nx,) for 1D; and settings, a JSON string.
func (s *Surface) Encode() ([]byte, error) {
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	nx, ny := len(s.X), len(s.Y)
	shaped := func(v []float64) any {
		if s.Is2D() {
			return mat.NewDense(ny, nx, v)
		}
		return v
	}
	comp := make([]uint8, len(s.Computed))
	for i, c := range s.Computed {
		if c {
			comp[i] = 1
		}
	}
	var compShaped any = comp
	if s.Is2D() {
		rows := make([][]uint8, ny)
		for j := range rows {
			rows[j] = comp[j*nx : (j+1)*nx]
		}
		compShaped = rows
	}
	st := s.Settings
	st.Format = Format
	js, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	type item struct {
		key string
		v   any
	}
	items := []item{{"xcoordinates", s.X}}
	if s.Is2D() {
		items = append(items, item{"ycoordinates", s.Y})
	}
	items = append(items, item{s.Split + "_loss", shaped(s.Loss)}, item{s.Split + "_acc", shaped(s.Acc)})
	keys := make([]string, 0, len(s.Extra))
	for k := range s.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if s.reserved(k) {
			return nil, fmt.Errorf("extra array %q: the name is taken by the surface itself", k)
		}
		if len(s.Extra[k]) != s.Len() {
			return nil, fmt.Errorf("extra array %q: %d values for %d points", k, len(s.Extra[k]), s.Len())
		}
		items = append(items, item{k, shaped(s.Extra[k])})
	}
	items = append(items, item{"computed", compShaped}, item{"settings", string(js)})
	for _, it := range items {
		if err := w.Write(it.key, it.v); err != nil {
			return nil, fmt.Errorf("%s: %w", it.key, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save replaces path atomically with the surface's current contents.
func (s *Surface) Save(path string) error {
	b, err := s.Encode()
	if err != nil {
		return fmt.Errorf("%s: encoding the surface: %w", path, err)
	}
	return model.WriteFileAtomic(path, b)
}

// Exists reports whether path names an existing file.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// StdErrKey is the file key of a tolerance scan's standard errors of split's loss.
func StdErrKey(split string) string { return split + "_loss_stderr" }

// ImagesKey is the file key of the images a tolerance scan used per point of split.
func ImagesKey(split string) string { return split + "_images" }

// Sampled reports whether the surface holds tolerance estimates (Settings.Tolerance > 0).
func (s *Surface) Sampled() bool { return s.Settings.Tolerance > 0 }
