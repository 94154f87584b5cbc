// Package trajectory finds the plane of an optimisation path as the paper's
// plot_trajectory.py does: the principal components of the checkpoints' offsets from the
// final weights, and each checkpoint's coordinates in that plane.
package trajectory

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"landscape/direction"
	"landscape/model"
)

// Result is the PCA plane of a trajectory.
type Result struct {
	X, Y                   *model.Weights // unit principal directions, one tensor per parameter
	ExplainedVariance      [2]float64     // s_k²/(n − 1) of the centred matrix, as sklearn's PCA
	ExplainedVarianceRatio [2]float64     // over the total variance Σ_k s_k²/(n − 1)
	ProjX, ProjY           []float64      // each checkpoint's (θ_i − θ_final)·x and ·y
}

// PCA computes, for checkpoints θ_1 … θ_n of network n and the final weights θ_final, the
// matrix M whose row i is θ_i − θ_final over the parameters (conv/linear weights and biases,
// batch-norm scale and shift, in state_dict order), with entries of ≤ 1 dimension zeroed when
// ignore is "biasbn". It centres M's columns, takes the first two right singular vectors
// (gonum's thin SVD; signs as sklearn's svd_flip: each vector's left singular vector has its
// largest entry positive) as the x and y directions — unit vectors, zero on ignored entries —
// and projects every (uncentred) row onto them, as plot_trajectory.py with
// --dir_type weights. It needs at least two checkpoints.
func PCA(n *model.Net, final *model.Weights, ckpts []*model.Weights, ignore string) (*Result, error) {
	if ignore != "biasbn" && ignore != "none" {
		return nil, fmt.Errorf("--ignore %q: want biasbn or none", ignore)
	}
	if len(ckpts) < 2 {
		return nil, fmt.Errorf("trajectory: %d checkpoints; the plane of a path needs at least 2", len(ckpts))
	}
	entries := direction.Entries(n, "weights")
	raw := offsets(entries, final, ckpts, ignore)
	m := mat.DenseCopyOf(raw)
	centre(m)
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDThin) {
		return nil, errors.New("trajectory: the SVD of the checkpoint matrix did not converge")
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	rows, cols := raw.Dims()
	var total float64
	for _, x := range s {
		total += x * x / float64(rows-1)
	}
	if total == 0 {
		return nil, errors.New("trajectory: every checkpoint is the same: the path has no plane")
	}
	r := &Result{}
	dirs := [2][]float64{}
	for k := range 2 {
		dirs[k] = make([]float64, cols)
		if k < len(s) {
			sign := svdFlip(&u, k)
			for j := range cols {
				dirs[k][j] = sign * v.At(j, k)
			}
			r.ExplainedVariance[k] = s[k] * s[k] / float64(rows-1)
			r.ExplainedVarianceRatio[k] = r.ExplainedVariance[k] / total
		}
	}
	r.X, r.Y = toWeights(entries, dirs[0]), toWeights(entries, dirs[1])
	for i := range rows {
		row := raw.RawRowView(i)
		var px, py float64
		for j, x := range row {
			px += x * dirs[0][j]
			py += x * dirs[1][j]
		}
		r.ProjX, r.ProjY = append(r.ProjX, px), append(r.ProjY, py)
	}
	return r, nil
}

// offsets returns the matrix whose row i is θ_i − θ_final over entries, in float64, with the
// entries of ≤ 1 dimension zero when ignore is "biasbn".
func offsets(entries []model.ParamSpec, final *model.Weights, ckpts []*model.Weights, ignore string) *mat.Dense {
	cols := 0
	for _, p := range entries {
		cols += model.Numel(p.Shape)
	}
	m := mat.NewDense(len(ckpts), cols, nil)
	for i, w := range ckpts {
		row := m.RawRowView(i)
		o := 0
		for _, p := range entries {
			a, b := w.Get(p.Name).Data, final.Get(p.Name).Data
			if ignore == "none" || len(p.Shape) > 1 {
				for j := range a {
					row[o+j] = float64(a[j]) - float64(b[j])
				}
			}
			o += len(a)
		}
	}
	return m
}

// centre subtracts from each column of m its mean.
func centre(m *mat.Dense) {
	rows, cols := m.Dims()
	for j := range cols {
		var s float64
		for i := range rows {
			s += m.At(i, j)
		}
		s /= float64(rows)
		for i := range rows {
			m.Set(i, j, m.At(i, j)-s)
		}
	}
}

// svdFlip is the sign sklearn's svd_flip gives singular pair k: +1 when the entry of largest
// magnitude of the left singular vector u[:, k] (the first such) is positive, else −1.
func svdFlip(u *mat.Dense, k int) float64 {
	rows, _ := u.Dims()
	best := 0.0
	for i := range rows {
		if x := u.At(i, k); math.Abs(x) > math.Abs(best) {
			best = x
		}
	}
	if best < 0 {
		return -1
	}
	return 1
}

func toWeights(entries []model.ParamSpec, flat []float64) *model.Weights {
	w := model.NewWeights()
	o := 0
	for _, p := range entries {
		t := model.NewTensor(p.Name, p.Shape...)
		for j := range t.Data {
			t.Data[j] = float32(flat[o+j])
		}
		o += len(t.Data)
		w.Add(t)
	}
	return w
}

// FromFiles loads network name's final weights and checkpoints (safetensors state_dicts) and
// computes their PCA plane. hw is the input size the network is built for; 0 tries 28 and 32
// (only VGG's parameter shapes depend on it).
func FromFiles(name, final string, ckpts []string, ignore string, hw int) (*Result, error) {
	sizes := []int{hw}
	if hw == 0 {
		sizes = []int{28, 32}
	}
	var n *model.Net
	var fw *model.Weights
	var err error
	for _, s := range sizes {
		if n, fw, err = model.Load(name, final, s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var ws []*model.Weights
	for _, c := range ckpts {
		w, _, err := model.ReadSafetensors(c)
		if err != nil {
			return nil, err
		}
		if err := n.CheckWeights(w, c); err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return PCA(n, fw, ws, ignore)
}
