package trajectory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"codeberg.org/sbinet/npyio/npz"

	"landscape/direction"
	"landscape/internal/npzfile"
	"landscape/model"
)

// Path is a trajectory's PATH.npz: the checkpoints' coordinates in the PCA plane.
type Path struct {
	ProjX, ProjY           []float64
	ExplainedVarianceRatio []float64
	ExplainedVariance      []float64
}

// Path returns r's checkpoint coordinates and variances.
func (r *Result) Path() *Path {
	return &Path{r.ProjX, r.ProjY, r.ExplainedVarianceRatio[:], r.ExplainedVariance[:]}
}

// Encode returns the .npz bytes with keys proj_xcoord, proj_ycoord, explained_variance_ratio
// and explained_variance (float64 vectors), as plot_trajectory.py's .h5 holds them.
func (p *Path) Encode() ([]byte, error) {
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	for _, it := range []struct {
		k string
		v []float64
	}{{"proj_xcoord", p.ProjX}, {"proj_ycoord", p.ProjY}, {"explained_variance_ratio", p.ExplainedVarianceRatio}, {"explained_variance", p.ExplainedVariance}} {
		if err := w.Write(it.k, it.v); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadPath reads a PATH.npz written by Encode, also after numpy has rewritten it (float32
// vectors, savez_compressed): internal/npzfile, with every member's CRC-32 checked.
func LoadPath(path string) (*Path, error) {
	f, err := npzfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz path file: %w", path, err)
	}
	defer f.Close()
	return readPath(path, f)
}

func readPath(path string, f *npzfile.File) (*Path, error) {
	p := &Path{}
	for _, it := range []struct {
		k string
		v *[]float64
	}{{"proj_xcoord", &p.ProjX}, {"proj_ycoord", &p.ProjY}, {"explained_variance_ratio", &p.ExplainedVarianceRatio}, {"explained_variance", &p.ExplainedVariance}} {
		v, err := vector(f, it.k)
		if err != nil {
			return nil, fmt.Errorf("%w (not a path file written by landscape trajectory)", err)
		}
		*it.v = v
	}
	if len(p.ProjX) != len(p.ProjY) || len(p.ProjX) == 0 {
		return nil, fmt.Errorf("%s: proj_xcoord has %d entries and proj_ycoord %d", path, len(p.ProjX), len(p.ProjY))
	}
	return p, nil
}

// vector reads a 1-dimensional float array.
func vector(f *npzfile.File, key string) ([]float64, error) {
	a, err := f.Open(key)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	v, isFloat, err := a.Floats()
	if err != nil {
		return nil, err
	}
	if !isFloat || len(a.Shape) != 1 {
		return nil, a.Err(fmt.Errorf("%s: %s of shape %s, want a float vector", a.Name, a.Dtype(), npzfile.ShapeString(a.Shape)))
	}
	return v, nil
}

// Meta is the informative metadata stored in the directions file: where the directions came
// from. (Save records their normalisation, "none": scan --dirs uses them as they are.)
func (r *Result) Meta(final string, ckpts []string, ignore string) map[string]string {
	return map[string]string{
		"source":                   "landscape trajectory (PCA of checkpoints - final)",
		"final":                    final,
		"checkpoints":              strconv.Itoa(len(ckpts)),
		"explained_variance_ratio": fmt.Sprintf("%.9g,%.9g", r.ExplainedVarianceRatio[0], r.ExplainedVarianceRatio[1]),
	}
}

// Save writes the directions file (x.<name>, y.<name>, recorded as normalised "none" with the
// given ignore mode, so that scan --dirs uses them as they are) and the path file, refusing to
// replace an existing file with different contents.
func (r *Result) Save(dirsPath, pathPath, ignore string, meta map[string]string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dirsPath), ".trajectory*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	t := filepath.Join(tmp, "dirs.safetensors")
	if err := direction.Save(t, r.X, r.Y, direction.Options{Norm: "none", Ignore: ignore, DirType: "weights"}, meta); err != nil {
		return err
	}
	dirs, err := os.ReadFile(t)
	if err != nil {
		return err
	}
	pb, err := r.Path().Encode()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path string
		b    []byte
	}{{dirsPath, dirs}, {pathPath, pb}} {
		if old, err := os.ReadFile(f.path); err == nil && !bytes.Equal(old, f.b) {
			return fmt.Errorf("%s exists with other contents; remove it or choose another name", f.path)
		}
	}
	for _, f := range []struct {
		path string
		b    []byte
	}{{dirsPath, dirs}, {pathPath, pb}} {
		if err := model.WriteFileAtomic(f.path, f.b); err != nil {
			return err
		}
	}
	return nil
}
