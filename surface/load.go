package surface

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"landscape/internal/npzfile"
)

// Load is the one reader of surface files. It reads
//   - files written by Save: format 2, and format 1 (no "format" in the settings; 2D arrays
//     [i, j] of shape (nx, ny)), transposed on reading, so old scans resume and plot;
//   - the same files after numpy has rewritten them (np.savez, np.savez_compressed; float32
//     arrays, boolean computed masks, Fortran order);
//   - files without landscape settings, e.g. the paper's surfaces saved by numpy: 2D arrays of
//     shape (ny, nx) are Z[j, i]; of shape (nx, ny) with nx ≠ ny, [i, j]; a square grid is taken
//     as Z[j, i], the order in which the paper's code fills its arrays (np.meshgrid(x, y)).
//
// The split is the one the settings name; in files without settings train when the file has
// train_loss, else test; the other split's arrays, and every other array of the grid's shape,
// go to Extra under their keys (SelectSplit swaps them in). Arrays of other shapes are not
// kept. Without a computed mask, a point counts as computed where its loss is not NaN.
//
// Every member of the file is checked against its CRC-32 first: a damaged file is refused
// (IsDamaged), never read with wrong values or a wrong computed mask.
func Load(path string) (*Surface, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("surface file: %w", err)
	}
	f, err := npzfile.Open(path)
	if e := (*npzfile.NotNPZError)(nil); errors.As(err, &e) {
		return nil, fmt.Errorf("%s is not a numpy .npz file: %w", path, e.Err)
	} else if err != nil {
		return nil, fmt.Errorf("surface file: %w", err)
	}
	defer f.Close()
	if err := f.Verify(); err != nil { // every member, also those not read below
		return nil, err
	}
	r := &arrays{path: path, f: f}
	s := &Surface{Extra: map[string][]float64{}}
	if s.X, err = r.coords("xcoordinates"); err != nil {
		return nil, err
	}
	if r.has("ycoordinates") {
		if s.Y, err = r.coords("ycoordinates"); err != nil {
			return nil, err
		}
	}
	format, err := r.settings(&s.Settings)
	if err != nil {
		return nil, err
	}
	s.Split = s.Settings.Split
	if format == 0 || !r.has(s.Split+"_loss") {
		switch {
		case r.has("train_loss"):
			s.Split = "train"
		case r.has("test_loss"):
			s.Split = "test"
		default:
			return nil, fmt.Errorf("%s: missing key \"train_loss\" or \"test_loss\" (keys: %s)", path, r.keys())
		}
	}
	lossKey := s.Split + "_loss"
	loss, shape, err := r.floats(lossKey)
	if err != nil {
		return nil, err
	}
	g, err := s.layout(path, lossKey, shape, format)
	if err != nil {
		return nil, err
	}
	s.Loss = g.flat(loss)
	if s.Acc, err = r.gridFloats(s.Split+"_acc", g); err != nil {
		return nil, err
	}
	s.Computed = make([]bool, s.Len())
	if r.has("computed") {
		comp, sh, err := r.numbers("computed", true)
		if err == nil && !slices.Equal(sh, g.shape) {
			err = fmt.Errorf("%s: %w", path, g.shapeError("computed", sh))
		}
		if err != nil {
			return nil, err
		}
		for k, c := range g.flat(comp) {
			s.Computed[k] = c != 0
		}
	} else {
		for k, v := range s.Loss {
			s.Computed[k] = !math.IsNaN(v)
		}
	}
	for _, key := range r.names() {
		if s.reserved(key) {
			continue
		}
		if v, sh, err := r.floats(key); err == nil && slices.Equal(sh, g.shape) {
			s.Extra[key] = g.flat(v)
		}
	}
	return s, nil
}

// grid is how a file's 2D arrays are laid out.
type grid struct {
	shape     []int
	transpose bool // stored [i, j] with shape (nx, ny): format 1
	nx, ny    int
	want      string // the shape's origin, for errors
}

// flat returns v in Surface order (k = j·nx + i).
func (g grid) flat(v []float64) []float64 {
	if !g.transpose {
		return v
	}
	out := make([]float64, len(v))
	for i := range g.nx {
		for j := range g.ny {
			out[j*g.nx+i] = v[i*g.ny+j]
		}
	}
	return out
}

func (g grid) shapeError(key string, got []int) error {
	return fmt.Errorf("key %q has shape %s, want %s as %s", key, npzfile.ShapeString(got), npzfile.ShapeString(g.shape), g.want)
}

// layout decides, from the loss array's shape and the file format (0: no landscape settings),
// how the file's grid arrays are stored.
func (s *Surface) layout(path, key string, shape []int, format int) (grid, error) {
	nx, ny := len(s.X), len(s.Y)
	g := grid{nx: nx, ny: ny, want: fmt.Sprintf("%q", key)}
	coords := fmt.Sprintf("xcoordinates (%d,)", nx)
	want := []int{nx}
	if s.Is2D() {
		coords = fmt.Sprintf("ycoordinates (%d,) and xcoordinates (%d,)", ny, nx)
		want = []int{ny, nx}
		if format == 1 || (format == 0 && nx != ny && slices.Equal(shape, []int{nx, ny})) {
			want, g.transpose = []int{nx, ny}, true
			coords = fmt.Sprintf("xcoordinates (%d,) and ycoordinates (%d,) in a format-1 file", nx, ny)
		}
	}
	if !slices.Equal(shape, want) {
		return g, fmt.Errorf("%s: key %q has shape %s, want %s to match %s", path, key, npzfile.ShapeString(shape), npzfile.ShapeString(want), coords)
	}
	g.shape = shape
	return g, nil
}

// arrays reads arrays by key from one npz file (internal/npzfile: numpy's and npyio's member
// names, Fortran order, length checks).
type arrays struct {
	path string
	f    *npzfile.File
}

func (r *arrays) has(key string) bool { return r.f.Has(key) }

// names lists the array keys.
func (r *arrays) names() []string { return r.f.Names() }

func (r *arrays) keys() string { return r.f.Keys() }

// numbers reads a numeric array as float64; integers and booleans only when ints is set.
func (r *arrays) numbers(key string, ints bool) ([]float64, []int, error) {
	if !r.has(key) {
		return nil, nil, fmt.Errorf("%s: missing key %q (keys: %s)", r.path, key, r.keys())
	}
	a, err := r.f.Open(key)
	if err != nil {
		return nil, nil, err
	}
	defer a.Close()
	v, isFloat, err := a.Floats()
	if err == nil && !isFloat && !ints {
		err = fmt.Errorf("%s: key %q has dtype %s, want float64", r.path, key, a.Dtype())
	}
	if err != nil {
		return nil, nil, err
	}
	return v, a.Shape, nil
}

func (r *arrays) floats(key string) ([]float64, []int, error) { return r.numbers(key, false) }

// gridFloats reads a float array that must have the grid's shape.
func (r *arrays) gridFloats(key string, g grid) ([]float64, error) {
	v, sh, err := r.floats(key)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(sh, g.shape) {
		return nil, fmt.Errorf("%s: %w", r.path, g.shapeError(key, sh))
	}
	return g.flat(v), nil
}

// coords reads a non-empty 1-dimensional coordinate array.
func (r *arrays) coords(key string) ([]float64, error) {
	v, sh, err := r.floats(key)
	if err != nil {
		return nil, err
	}
	if len(sh) != 1 || len(v) == 0 {
		return nil, fmt.Errorf("%s: key %q has shape %s, want (n,) with n > 0", r.path, key, npzfile.ShapeString(sh))
	}
	return v, nil
}

// settings reads the settings JSON into st and returns the file's format: 0 when the file has
// no landscape settings (a foreign file), 1 when they have no "format" key.
func (r *arrays) settings(st *Settings) (int, error) {
	if !r.has("settings") {
		return 0, nil
	}
	js, ok, err := r.f.String("settings")
	if err != nil || !ok {
		return 0, err // !ok: not a string, so not landscape's settings
	}
	return decodeSettings(r.path, js, st)
}

// decodeSettings reads the settings JSON js of the surface file path into st and returns the
// file's format as settings does.
func decodeSettings(path, js string, st *Settings) (int, error) {
	var keys map[string]json.RawMessage
	if json.Unmarshal([]byte(js), &keys) != nil || keys["model"] == nil {
		return 0, nil // not landscape's settings
	}
	if err := json.Unmarshal([]byte(js), st); err != nil {
		return 0, fmt.Errorf("%s: settings: %w", path, err)
	}
	if keys["format"] == nil {
		st.Format = 1
	}
	if st.Format != 1 && st.Format != Format {
		return 0, fmt.Errorf("%s: surface format %d; this landscape reads formats 1 and %d (a newer landscape wrote the file)", path, st.Format, Format)
	}
	if keys["numerics"] == nil {
		st.Numerics = 1
	}
	if keys["engine"] == nil {
		st.Engine = "cpu"
	}
	return st.Format, nil
}

// IsDamaged reports whether err says that a file's contents are damaged (a zip member's
// CRC-32 mismatch, a corrupt compressed stream, a member past the end of the file).
func IsDamaged(err error) bool { return errors.Is(err, npzfile.ErrDamaged) }

// DamagedResumeHint says how to go on when the surface file out, which a scan would resume,
// is damaged.
func DamagedResumeHint(out string) string {
	return fmt.Sprintf("not resuming from a damaged file: move it aside (mv %s %s.damaged) to scan afresh, or rebuild it from intact shard files with `landscape merge --out %s SHARD.npz...`", out, out, out)
}
