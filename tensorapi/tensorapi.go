// Package tensorapi is landscape for Go programs that hold their networks as gorgonia.org/tensor
// values: hand it a zoo network's state_dict and the directions δ, η as *tensor.Dense, and get
// the loss and accuracy surfaces back as *tensor.Dense of shape (ny, nx) — Z[j, i] at
// (x_i, y_j), the layout of the surface files (format 2) and of np.meshgrid — or (nx,) in 1D.
// The points are computed on the CPU engine by the same scheduler as landscape scan.
package tensorapi

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"gorgonia.org/tensor"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
	"landscape/scan"
	"landscape/surface"
)

// Input is one scan.
type Input struct {
	Model   string                   // a zoo network, e.g. "resnet20"
	Weights map[string]*tensor.Dense // its state_dict θ (Float32, or Float64 converted)
	// X and Y are the directions δ and η, used as given (see Directions for the paper's
	// normalised ones); entries they lack are not perturbed. Y nil: a 1D scan.
	X, Y         map[string]*tensor.Dense
	Data         *data.Set
	XAxis, YAxis surface.Axis // YAxis.Num 0 for 1D
	Workers      int          // CPU engines (0: every core)
	Batch        int          // images per engine call (0: the engine's choice)
}

// Surface evaluates the mean cross-entropy and the accuracy (percent) at every grid point.
func Surface(ctx context.Context, in Input) (loss, acc *tensor.Dense, err error) {
	if (in.Y == nil) != (in.YAxis.Num == 0) {
		return nil, nil, fmt.Errorf("tensorapi: give both Y and YAxis for a 2D scan, or neither")
	}
	net, w, err := network(in.Model, in.Weights, in.Data.H)
	if err != nil {
		return nil, nil, err
	}
	dx, err := weights("X", in.X, net)
	if err != nil {
		return nil, nil, err
	}
	var dy *model.Weights
	if in.Y != nil {
		if dy, err = weights("Y", in.Y, net); err != nil {
			return nil, nil, err
		}
	}
	p, err := engine.NewProblem(net, w, dx, dy, in.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorapi: %w", err)
	}
	sf := surface.New(in.XAxis, in.YAxis, "", surface.Settings{})
	pts := make([]engine.Point, sf.Len())
	for k := range pts {
		pts[k].A, pts[k].B = sf.Coord(k)
	}
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var es []engine.Engine
	defer func() {
		for _, e := range es {
			e.Close()
		}
	}()
	for range workers {
		e, err := cpu.New(p)
		if err != nil {
			return nil, nil, err
		}
		es = append(es, e)
	}
	if err := scan.Run(ctx, p, pts, sf.Missing(), es, scan.Options{Images: in.Batch}, sf.Set); err != nil {
		return nil, nil, err
	}
	shape := []int{len(sf.X)}
	if sf.Is2D() {
		shape = []int{len(sf.Y), len(sf.X)}
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(sf.Loss)),
		tensor.New(tensor.WithShape(shape...), tensor.WithBacking(sf.Acc)), nil
}

// Directions draws the paper's random direction for a zoo network's weights (stream 0 for x,
// 1 for y) and normalises it as opt says (e.g. filter normalisation, biases zeroed).
func Directions(name string, weights map[string]*tensor.Dense, hw int, seed int64, stream uint64, opt direction.Options) (map[string]*tensor.Dense, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	net, w, err := network(name, weights, hw)
	if err != nil {
		return nil, err
	}
	d := direction.Random(net, opt.DirType, seed, stream)
	direction.Normalize(d, w, opt)
	out := map[string]*tensor.Dense{}
	for _, n := range d.Names {
		out[n] = ToDense(d.Tensors[n])
	}
	return out, nil
}

// network builds zoo network name for hw×hw images from the shapes of its state_dict.
func network(name string, ws map[string]*tensor.Dense, hw int) (*model.Net, *model.Weights, error) {
	w, err := weights("Weights", ws, nil)
	if err != nil {
		return nil, nil, err
	}
	inC, classes, err := model.Infer(name, w, "Weights")
	if err != nil {
		return nil, nil, fmt.Errorf("tensorapi: %w", err)
	}
	net, err := model.Build(name, model.Config{InC: inC, HW: hw, Classes: classes})
	if err != nil {
		return nil, nil, fmt.Errorf("tensorapi: %w", err)
	}
	if err := net.CheckWeights(w, "Weights"); err != nil {
		return nil, nil, fmt.Errorf("tensorapi: %w", err)
	}
	return net, model.Order(net, w), nil
}

// weights converts a map of tensors: with net, in the network's state_dict order, refusing
// entries it does not have; without, in name order.
func weights(what string, ts map[string]*tensor.Dense, net *model.Net) (*model.Weights, error) {
	w := model.NewWeights()
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	slices.Sort(names)
	if net != nil {
		names = names[:0]
		for _, p := range net.Params {
			if ts[p.Name] != nil {
				names = append(names, p.Name)
			}
		}
		for n := range ts {
			if !slices.ContainsFunc(net.Params, func(p model.ParamSpec) bool { return p.Name == n }) {
				return nil, fmt.Errorf("tensorapi: %s[%q]: %s has no such entry", what, n, net.Name)
			}
		}
	}
	for _, n := range names {
		t, err := FromDense(n, ts[n])
		if err != nil {
			return nil, fmt.Errorf("tensorapi: %s: %w", what, err)
		}
		w.Add(t)
	}
	return w, nil
}

// FromDense copies a Float32 (or Float64, rounded) tensor into a landscape tensor.
func FromDense(name string, d *tensor.Dense) (*model.Tensor, error) {
	if d == nil {
		return nil, fmt.Errorf("tensor %q is nil", name)
	}
	if d.IsView() {
		d = d.Materialize().(*tensor.Dense)
	}
	t := &model.Tensor{Name: name, Shape: slices.Clone([]int(d.Shape()))}
	if d.Shape().IsScalar() {
		t.Shape = nil
	}
	switch v := d.Data().(type) {
	case []float32:
		t.Data = slices.Clone(v)
	case []float64:
		t.Data = make([]float32, len(v))
		for i, x := range v {
			t.Data[i] = float32(x)
		}
	case float32:
		t.Data = []float32{v}
	case float64:
		t.Data = []float32{float32(v)}
	default:
		return nil, fmt.Errorf("tensor %q has dtype %v, want float32 or float64", name, d.Dtype())
	}
	return t, nil
}

// ToDense copies a landscape tensor into a Float32 *tensor.Dense of the same shape.
func ToDense(t *model.Tensor) *tensor.Dense {
	shape := t.Shape
	if len(shape) == 0 {
		shape = []int{1}
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(t.Data)))
}
