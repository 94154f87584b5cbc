package surface

import (
	"bytes"
	"encoding/json"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"landscape/model"
)

// SaveFormat1 writes the surface as landscape wrote surfaces before format 2 — 2D arrays
// [i, j] at (x_i, y_j) of shape (nx, ny), settings without the format, numerics and engine
// keys — so that tests can check that such files still load, resume and plot.
func (s *Surface) SaveFormat1(path string) error {
	nx, ny := len(s.X), len(s.Y)
	ij := func(v []float64) any {
		if !s.Is2D() {
			return v
		}
		m := mat.NewDense(nx, ny, nil)
		for k, x := range v {
			i, j := s.IJ(k)
			m.Set(i, j, x)
		}
		return m
	}
	comp := make([]uint8, s.Len())
	for k, c := range s.Computed {
		if c {
			i, j := s.IJ(k)
			comp[i*max(ny, 1)+j] = 1
		}
	}
	var compShaped any = comp
	if s.Is2D() {
		rows := make([][]uint8, nx)
		for i := range rows {
			rows[i] = comp[i*ny : (i+1)*ny]
		}
		compShaped = rows
	}
	js, err := json.Marshal(s.Settings)
	if err != nil {
		return err
	}
	var st map[string]any
	if err := json.Unmarshal(js, &st); err != nil {
		return err
	}
	delete(st, "format")
	delete(st, "numerics")
	delete(st, "engine")
	if js, err = json.Marshal(st); err != nil {
		return err
	}
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	items := []struct {
		key string
		v   any
	}{{"xcoordinates", s.X}, {"ycoordinates", s.Y}, {s.Split + "_loss", ij(s.Loss)}, {s.Split + "_acc", ij(s.Acc)},
		{"computed", compShaped}, {"settings", string(js)}}
	for _, it := range items {
		if it.key == "ycoordinates" && !s.Is2D() {
			continue
		}
		if err := w.Write(it.key, it.v); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return model.WriteFileAtomic(path, buf.Bytes())
}
