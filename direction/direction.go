// Package direction makes the directions δ, η of a loss-landscape plot, as the code of
// Li et al. (2018) defines them: a Gaussian draw (or a given tensor) per entry of the state_dict,
// then normalised per filter, per layer or per weight, with biases and batch-norm entries zeroed
// or copied; or the difference W2 − W between two solutions for 1D interpolation.
package direction

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"landscape/model"
)

// Options selects how directions are made.
type Options struct {
	Norm    string // "filter" (default), "layer", "weight" or "none"
	Ignore  string // "biasbn" (default): zero entries with ≤ 1 dimension; "none": set them to the weight itself
	DirType string // "weights" (default): parameters only; "states": running_mean/running_var too
}

// Validate checks the option values, naming the flag at fault.
func (o Options) Validate() error {
	if !slices.Contains([]string{"filter", "layer", "weight", "none"}, o.Norm) {
		return fmt.Errorf("--norm %q: want filter, layer, weight or none", o.Norm)
	}
	if !slices.Contains([]string{"biasbn", "none"}, o.Ignore) {
		return fmt.Errorf("--ignore %q: want biasbn or none", o.Ignore)
	}
	if !slices.Contains([]string{"weights", "states"}, o.DirType) {
		return fmt.Errorf("--dir-type %q: want weights or states", o.DirType)
	}
	return nil
}

// Entries lists the state_dict entries a direction covers: every parameter, and with
// dirType "states" the running statistics too (never num_batches_tracked).
func Entries(n *model.Net, dirType string) []model.ParamSpec {
	var out []model.ParamSpec
	for _, p := range n.Params {
		if p.Kind.IsParameter() || (dirType == "states" && p.Kind.IsState()) {
			out = append(out, p)
		}
	}
	return out
}

// Random draws one standard-normal tensor per entry, in state_dict order, from the stream
// (seed, stream): stream 0 for the x direction, 1 for y. The same seed gives the same draw.
func Random(n *model.Net, dirType string, seed int64, stream uint64) *model.Weights {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15^stream))
	d := model.NewWeights()
	for _, p := range Entries(n, dirType) {
		t := model.NewTensor(p.Name, p.Shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		d.Add(t)
	}
	return d
}

// Normalize rescales d in place against the base weights w, as the paper's code does:
// for entries with two or more dimensions, "filter" scales each slice d_i along dimension 0 by
// ‖w_i‖/(‖d_i‖ + 1e-10), "layer" scales d by ‖w‖/‖d‖, "weight" multiplies d by w element-wise,
// "none" leaves it; entries with one dimension or fewer are zeroed (ignore "biasbn") or set to w
// (ignore "none"). Norms are accumulated in float64 and applied as float32 factors.
func Normalize(d, w *model.Weights, o Options) {
	for _, name := range d.Names {
		dt, wt := d.Tensors[name], w.Tensors[name]
		if len(dt.Shape) <= 1 {
			if o.Ignore == "biasbn" {
				clear(dt.Data)
			} else {
				copy(dt.Data, wt.Data)
			}
			continue
		}
		switch o.Norm {
		case "filter":
			per := len(dt.Data) / dt.Shape[0]
			for i := range dt.Shape[0] {
				ds, ws := dt.Data[i*per:(i+1)*per], wt.Data[i*per:(i+1)*per]
				scale(ds, float32(norm(ws)/(norm(ds)+1e-10)))
			}
		case "layer":
			scale(dt.Data, float32(norm(wt.Data)/norm(dt.Data)))
		case "weight":
			for i := range dt.Data {
				dt.Data[i] *= wt.Data[i]
			}
		}
	}
}

// Target returns the direction W2 − W over the entries of dirType: every one, biases and batch
// norm included, neither normalised nor zeroed (1D interpolation between two solutions).
func Target(n *model.Net, w, w2 *model.Weights, dirType string) *model.Weights {
	d := model.NewWeights()
	for _, p := range Entries(n, dirType) {
		a, b := w.Tensors[p.Name], w2.Tensors[p.Name]
		t := model.NewTensor(p.Name, p.Shape...)
		for i := range t.Data {
			t.Data[i] = b.Data[i] - a.Data[i]
		}
		d.Add(t)
	}
	return d
}

func norm(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func scale(x []float32, f float32) {
	for i := range x {
		x[i] *= f
	}
}
