package surface

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"landscape/model"
)

// Settings are what a scan's results depend on. A file is resumed only by a scan whose
// settings are equal; input files are compared by their SHA-256 (the dataset by that of the
// examples it yields), not their paths. The images per engine call (--batch-size) are not
// among them: they change how the per-point sums are added up, by float rounding only.
type Settings struct {
	Model          string `json:"model"`
	Weights        string `json:"weights"`
	WeightsSHA256  string `json:"weights_sha256"`
	Data           string `json:"data"`
	DataSHA256     string `json:"data_sha256"`
	Split          string `json:"split"`
	Limit          int    `json:"limit"`
	Examples       int    `json:"examples"`
	Raw            bool   `json:"raw"`
	X              string `json:"x"`
	Y              string `json:"y,omitempty"`
	Norm           string `json:"norm"`
	Ignore         string `json:"ignore"`
	DirType        string `json:"dir_type"`
	Seed           int64  `json:"seed"`
	Dirs           string `json:"dirs,omitempty"`
	DirsSHA256     string `json:"dirs_sha256,omitempty"`
	Weights2       string `json:"weights2,omitempty"`
	Weights2SHA256 string `json:"weights2_sha256,omitempty"`
	Precision      string `json:"precision"`
	Shard          string `json:"shard,omitempty"` // "I/N" for part I of a scan split N ways (job.Shard)
}

// pathFields are informative only: the hashes decide.
var pathFields = map[string]bool{"Weights": true, "Dirs": true, "Weights2": true, "Data": true}

// Diff lists the settings that differ, as "name: file value vs this run's value".
func (s Settings) Diff(o Settings) []string {
	var out []string
	a, b := reflect.ValueOf(s), reflect.ValueOf(o)
	for i := range a.NumField() {
		f := a.Type().Field(i)
		if pathFields[f.Name] {
			continue
		}
		if va, vb := a.Field(i).Interface(), b.Field(i).Interface(); va != vb {
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			out = append(out, fmt.Sprintf("%s: %v in the file, %v now", tag, va, vb))
		}
	}
	return out
}

// Surface is a grid of results. Index i·len(Y)+j holds point (X[i], Y[j]); 1D surfaces have no Y.
type Surface struct {
	X, Y     []float64
	Split    string
	Loss     []float64 // mean cross-entropy; NaN until computed (a diverged point stays non-finite)
	Acc      []float64 // accuracy in percent; NaN until computed
	Computed []bool
	Settings Settings
}

// New returns an empty surface for the given axes (y.Num == 0 for 1D).
func New(x, y Axis, split string, s Settings) *Surface {
	sf := &Surface{X: x.Coords(), Split: split, Settings: s}
	if y.Num > 0 {
		sf.Y = y.Coords()
	}
	n := sf.Len()
	sf.Loss, sf.Acc, sf.Computed = make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range n {
		sf.Loss[i], sf.Acc[i] = math.NaN(), math.NaN()
	}
	return sf
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

// Coord returns the coordinates of point k.
func (s *Surface) Coord(k int) (a, b float64) {
	if !s.Is2D() {
		return s.X[k], 0
	}
	return s.X[k/len(s.Y)], s.Y[k%len(s.Y)]
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

// Encode returns the .npz bytes: xcoordinates, ycoordinates (2D), <split>_loss, <split>_acc
// (float64, (nx, ny) or (nx,)), computed (uint8, same shape) and settings (a JSON string).
func (s *Surface) Encode() ([]byte, error) {
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	shaped := func(v []float64) any {
		if s.Is2D() {
			return mat.NewDense(len(s.X), len(s.Y), v)
		}
		return v
	}
	comp := make([]uint8, len(s.Computed))
	for i, c := range s.Computed {
		if c {
			comp[i] = 1
		}
	}
	js, err := json.Marshal(s.Settings)
	if err != nil {
		return nil, err
	}
	items := []struct {
		key string
		v   any
	}{
		{"xcoordinates", s.X},
		{"ycoordinates", s.Y},
		{s.Split + "_loss", shaped(s.Loss)},
		{s.Split + "_acc", shaped(s.Acc)},
		{"computed", comp},
		{"settings", string(js)},
	}
	for _, it := range items {
		if it.key == "ycoordinates" && !s.Is2D() {
			continue
		}
		if it.key == "computed" && s.Is2D() {
			it.v = comp2D(comp, len(s.X), len(s.Y))
		}
		if err := w.Write(it.key, it.v); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func comp2D(c []uint8, nx, ny int) [][]uint8 {
	out := make([][]uint8, nx)
	for i := range out {
		out[i] = c[i*ny : (i+1)*ny]
	}
	return out
}

// Save replaces path atomically with the surface's current contents.
func (s *Surface) Save(path string) error {
	b, err := s.Encode()
	if err != nil {
		return fmt.Errorf("%s: encoding the surface: %w", path, err)
	}
	return model.WriteFileAtomic(path, b)
}

// Load reads a surface file written by Save.
func Load(path string) (*Surface, error) {
	r, err := npz.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz surface file: %w", path, err)
	}
	defer r.Close()
	keys := map[string]bool{}
	for _, k := range r.Keys() {
		keys[strings.TrimSuffix(k, ".npy")] = true
	}
	s := &Surface{}
	for _, sp := range []string{"train", "test"} {
		if keys[sp+"_loss"] {
			s.Split = sp
		}
	}
	for _, k := range []string{"xcoordinates", s.Split + "_loss", s.Split + "_acc", "computed", "settings"} {
		if !keys[k] || s.Split == "" {
			return nil, fmt.Errorf("%s: no %q array: not a surface file written by landscape scan", path, k)
		}
	}
	var js string
	if err := r.Read("settings", &js); err != nil {
		return nil, fmt.Errorf("%s: settings: %w", path, err)
	}
	if err := json.Unmarshal([]byte(js), &s.Settings); err != nil {
		return nil, fmt.Errorf("%s: settings: %w", path, err)
	}
	if err := r.Read("xcoordinates", &s.X); err != nil {
		return nil, fmt.Errorf("%s: xcoordinates: %w", path, err)
	}
	if keys["ycoordinates"] {
		if err := r.Read("ycoordinates", &s.Y); err != nil {
			return nil, fmt.Errorf("%s: ycoordinates: %w", path, err)
		}
	}
	n := s.Len()
	var err2 error
	s.Loss, err2 = readFlat(r, s.Split+"_loss", n, s.Is2D())
	if err2 == nil {
		s.Acc, err2 = readFlat(r, s.Split+"_acc", n, s.Is2D())
	}
	var comp []uint8
	if err2 == nil {
		comp, err2 = readUint8(r, "computed", n)
	}
	if err2 != nil {
		return nil, fmt.Errorf("%s: %w", path, err2)
	}
	s.Computed = make([]bool, n)
	for i, c := range comp {
		s.Computed[i] = c != 0
	}
	return s, nil
}

func readFlat(r *npz.Reader, key string, n int, is2D bool) ([]float64, error) {
	var v []float64
	if is2D {
		var m mat.Dense
		if err := r.Read(key, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		v = m.RawMatrix().Data
		if rr, cc := m.Dims(); rr*cc != n {
			return nil, fmt.Errorf("%s: shape (%d, %d) does not fit the coordinates (%d points)", key, rr, cc, n)
		}
		return append([]float64(nil), v...), nil
	}
	if err := r.Read(key, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s: %d values for %d points", key, len(v), n)
	}
	return v, nil
}

func readUint8(r *npz.Reader, key string, n int) ([]uint8, error) {
	var v []uint8
	if err := r.Read(key, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s: %d values for %d points", key, len(v), n)
	}
	return v, nil
}

// Exists reports whether path names an existing file.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
