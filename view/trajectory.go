package view

import (
	"fmt"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
)

// Trajectory is an optimiser's path projected on two PCA directions, as `landscape trajectory`
// writes it (the paper's plot_trajectory: keys proj_xcoord, proj_ycoord, explained_variance_ratio).
type Trajectory struct {
	Name     string    `json:"name"`
	X        []float64 `json:"x"`
	Y        []float64 `json:"y"`
	Variance []float64 `json:"variance,omitempty"` // explained variance ratio of each direction
}

// LoadTrajectory reads a trajectory file.
func LoadTrajectory(path string) (*Trajectory, error) {
	r, err := npz.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--path %s: not a readable .npz file: %w", path, err)
	}
	defer r.Close()
	t := &Trajectory{Name: path}
	for _, it := range []struct {
		key      string
		dst      *[]float64
		optional bool
	}{{"proj_xcoord", &t.X, false}, {"proj_ycoord", &t.Y, false}, {"explained_variance_ratio", &t.Variance, true}} {
		v, err := read1D(r, it.key)
		if err != nil {
			if it.optional && err == errNoKey {
				continue
			}
			return nil, fmt.Errorf("--path %s: %w", path, err)
		}
		*it.dst = v
	}
	if len(t.X) != len(t.Y) || len(t.X) == 0 {
		return nil, fmt.Errorf("--path %s: proj_xcoord has %d values and proj_ycoord %d: want the same number, at least one", path, len(t.X), len(t.Y))
	}
	return t, nil
}

var errNoKey = fmt.Errorf("no such array")

// read1D reads a float32 or float64 vector stored under key (or key.npy, as numpy.savez names it).
func read1D(r *npz.Reader, key string) ([]float64, error) {
	name := ""
	for _, k := range r.Keys() {
		if k == key || k == key+".npy" {
			name = k
		}
	}
	if name == "" {
		return nil, errNoKey
	}
	rc, err := r.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer rc.Close()
	nr, err := npy.NewReader(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	h := nr.Header.Descr
	if len(h.Shape) != 1 {
		return nil, fmt.Errorf("%s: shape %v, want a vector", key, h.Shape)
	}
	switch typ := strings.Trim(h.Type, "'\""); typ[1:] {
	case "f8":
		v := make([]float64, h.Shape[0])
		err = nr.Read(&v)
		return v, wrap(key, err)
	case "f4":
		v32 := make([]float32, h.Shape[0])
		if err = nr.Read(&v32); err != nil {
			return nil, wrap(key, err)
		}
		v := make([]float64, len(v32))
		for i, x := range v32 {
			v[i] = float64(x)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("%s: dtype %s, want float32 or float64", key, typ)
	}
}

func wrap(key string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
