// Package plot draws loss-landscape surface files (.npz, as written by the
// scan command) in the manner of Li et al. 2018, "Visualizing the Loss
// Landscape of Neural Nets" (plot_2D.py, plot_1D.py and h52vtp.py of
// tomgoldstein/loss-landscape): contour, filled-contour, heat-map and 3D
// surface pictures and a VTK PolyData file for 2D surfaces, and a
// loss/accuracy plot with two y axes for 1D surfaces.
//
// Points that are not finite (NaN: not computed yet or diverged; ±Inf:
// diverged) are masked in every figure and counted in its title.
package plot

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
)

// Surface is one loss surface read from a surface file.
type Surface struct {
	Path  string    // file it was read from
	X, Y  []float64 // coordinates along the directions; Y is nil for 1D
	Split string    // "train" or "test": the split Loss and Acc belong to
	// Loss and Acc (accuracy in percent) have len(X)*len(Y) values for 2D,
	// the value at (X[i], Y[j]) at index i*len(Y)+j, or len(X) for 1D.
	Loss, Acc []float64
	Is2D      bool

	// OtherSplit, OtherLoss and OtherAcc hold the second split when the
	// file has both (Split is then "train" and OtherSplit "test"); they
	// are empty otherwise. The 1D plot draws them dashed, as plot_1D.py.
	OtherSplit          string
	OtherLoss, OtherAcc []float64
}

// ReadSurface reads a surface file, taking the train split if the file has
// one and the test split otherwise.
func ReadSurface(path string) (*Surface, error) {
	return ReadSurfaceSplit(path, "")
}

// ReadSurfaceSplit reads a surface file with split ("train" or "test") as
// the main split; "" picks train if present, else test.
func ReadSurfaceSplit(path, split string) (*Surface, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plot: surface file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("plot: surface file: %w", err)
	}
	zr, err := npz.NewReader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("plot: %s is not a numpy .npz file: %w", path, err)
	}
	r := &arrays{path: path, zr: zr}

	s := &Surface{Path: path}
	var shape []int
	if s.X, shape, err = r.read("xcoordinates"); err != nil {
		return nil, err
	}
	if len(shape) != 1 || len(s.X) == 0 {
		return nil, fmt.Errorf("plot: %s: key \"xcoordinates\" has shape %s, want (nx,) with nx > 0", path, tuple(shape))
	}
	if r.has("ycoordinates") {
		s.Is2D = true
		if s.Y, shape, err = r.read("ycoordinates"); err != nil {
			return nil, err
		}
		if len(shape) != 1 || len(s.Y) == 0 {
			return nil, fmt.Errorf("plot: %s: key \"ycoordinates\" has shape %s, want (ny,) with ny > 0", path, tuple(shape))
		}
	}

	switch split {
	case "":
		split = "train"
		if !r.has("train_loss") {
			if !r.has("test_loss") {
				return nil, fmt.Errorf("plot: %s: missing key \"train_loss\" or \"test_loss\" (keys: %s)", path, r.keys())
			}
			split = "test"
		}
	case "train", "test":
	default:
		return nil, fmt.Errorf("plot: split %q: want \"train\" or \"test\"", split)
	}
	s.Split = split
	if s.Loss, s.Acc, err = r.split(s, split); err != nil {
		return nil, err
	}
	if other := "test"; split == "train" && r.has(other+"_loss") {
		s.OtherSplit = other
		if s.OtherLoss, s.OtherAcc, err = r.split(s, other); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// arrays reads float arrays by key from one npz file.
type arrays struct {
	path string
	zr   *npz.Reader
}

// entry returns the zip entry name for key: numpy's savez stores key.npy,
// npyio's npz.Write stores key itself.
func (r *arrays) entry(key string) (string, bool) {
	for _, k := range r.zr.Keys() {
		if k == key || k == key+".npy" {
			return k, true
		}
	}
	return "", false
}

func (r *arrays) has(key string) bool {
	_, ok := r.entry(key)
	return ok
}

// keys lists the array names in the file, for error messages.
func (r *arrays) keys() string {
	var ks []string
	for _, k := range r.zr.Keys() {
		ks = append(ks, strings.TrimSuffix(k, ".npy"))
	}
	return strings.Join(ks, ", ")
}

// read returns the array stored under key in C (row-major) order and its shape.
func (r *arrays) read(key string) ([]float64, []int, error) {
	name, ok := r.entry(key)
	if !ok {
		return nil, nil, fmt.Errorf("plot: %s: missing key %q (keys: %s)", r.path, key, r.keys())
	}
	rc, err := r.zr.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("plot: %s: key %q: %w", r.path, key, err)
	}
	defer rc.Close()
	nr, err := npy.NewReader(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("plot: %s: key %q: %w", r.path, key, err)
	}
	h := nr.Header.Descr
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	var data []float64
	switch typ := strings.Trim(h.Type, "'\""); typ {
	case "<f8", ">f8", "=f8":
		data = make([]float64, n)
		err = nr.Read(&data)
	case "<f4", ">f4", "=f4":
		d32 := make([]float32, n)
		err = nr.Read(&d32)
		data = make([]float64, n)
		for i, v := range d32 {
			data[i] = float64(v)
		}
	default:
		return nil, nil, fmt.Errorf("plot: %s: key %q has dtype %s, want float64", r.path, key, typ)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("plot: %s: key %q: %w", r.path, key, err)
	}
	if h.Fortran && len(h.Shape) == 2 {
		data = transpose(data, h.Shape[0], h.Shape[1])
	}
	return data, h.Shape, nil
}

// transpose turns column-major (Fortran) data of an r×c array into row-major.
func transpose(d []float64, r, c int) []float64 {
	out := make([]float64, len(d))
	for i := range r {
		for j := range c {
			out[i*c+j] = d[j*r+i]
		}
	}
	return out
}

// split reads <split>_loss and <split>_acc and checks their shapes against
// the coordinates of s.
func (r *arrays) split(s *Surface, split string) (loss, acc []float64, err error) {
	want := []int{len(s.X)}
	if s.Is2D {
		want = append(want, len(s.Y))
	}
	out := make([][]float64, 2)
	for k, name := range []string{split + "_loss", split + "_acc"} {
		d, shape, err := r.read(name)
		if err != nil {
			return nil, nil, err
		}
		if !slices.Equal(shape, want) {
			coords := fmt.Sprintf("xcoordinates (%d,)", len(s.X))
			if s.Is2D {
				coords += fmt.Sprintf(" and ycoordinates (%d,)", len(s.Y))
			}
			return nil, nil, fmt.Errorf("plot: %s: key %q has shape %s, want %s to match %s",
				r.path, name, tuple(shape), tuple(want), coords)
		}
		out[k] = d
	}
	return out[0], out[1], nil
}

// tuple formats a shape as numpy does: (3,) or (2, 3).
func tuple(shape []int) string {
	if len(shape) == 1 {
		return fmt.Sprintf("(%d,)", shape[0])
	}
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(s, ", ") + ")"
}
