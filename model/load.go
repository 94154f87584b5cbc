package model

import (
	"fmt"
	"strings"
)

// Infer reads the input channel count and the class count of zoo network name from the shapes
// of its first convolution and last linear layer in w.
func Infer(name string, w *Weights, file string) (inC, classes int, err error) {
	first, last := "conv1.weight", "linear.weight"
	if strings.HasPrefix(name, "vgg") {
		first, last = "features.0.weight", "classifier.weight"
	}
	f, l := w.Get(first), w.Get(last)
	switch {
	case f == nil:
		return 0, 0, fmt.Errorf("%s: no tensor %q: is this a %s state_dict?", file, first, name)
	case l == nil:
		return 0, 0, fmt.Errorf("%s: no tensor %q: is this a %s state_dict?", file, last, name)
	case len(f.Shape) != 4:
		return 0, 0, fmt.Errorf("%s: tensor %q has shape %s, want [out, in, 3, 3]", file, first, ShapeString(f.Shape))
	case len(l.Shape) != 2:
		return 0, 0, fmt.Errorf("%s: tensor %q has shape %s, want [classes, features]", file, last, ShapeString(l.Shape))
	}
	return f.Shape[1], l.Shape[0], nil
}

// Load reads a safetensors state_dict, builds zoo network name for hw×hw inputs with the input
// channels and classes the file's shapes give, and checks that every tensor fits. A name
// ending in .onnx is a graph file instead (LoadONNX: its input shape is its own, hw is not
// used, and file, when not "", replaces the weights it holds).
func Load(name, file string, hw int) (*Net, *Weights, error) {
	if IsGraphFile(name) {
		return LoadONNX(name, file)
	}
	w, _, err := ReadSafetensors(file)
	if err != nil {
		return nil, nil, err
	}
	inC, classes, err := Infer(name, w, file)
	if err != nil {
		return nil, nil, err
	}
	n, err := Build(name, Config{InC: inC, HW: hw, Classes: classes})
	if err != nil {
		return nil, nil, err
	}
	if err := n.CheckWeights(w, file); err != nil {
		return nil, nil, err
	}
	return n, Order(n, w), nil
}

// Order returns w with its entries in the network's state_dict order.
func Order(n *Net, w *Weights) *Weights {
	o := NewWeights()
	for _, p := range n.Params {
		if t := w.Get(p.Name); t != nil {
			o.Add(t)
		}
	}
	return o
}

// Init returns deterministic weights for n, for tests and benchmarks: conv and linear weights
// Kaiming-normal (std √(2/fan_in)), small random biases and batch-norm parameters, running
// variances in [0.5, 1.5).
func Init(n *Net, seed int64) *Weights {
	r := newRand(seed)
	w := NewWeights()
	for _, p := range n.Params {
		t := NewTensor(p.Name, p.Shape...)
		switch p.Kind {
		case KindWeight:
			fan := Numel(p.Shape[1:])
			std := sqrt(2 / float64(fan))
			for i := range t.Data {
				t.Data[i] = float32(r.NormFloat64() * std)
			}
		case KindBias, KindBNBias, KindRunningMean:
			for i := range t.Data {
				t.Data[i] = float32(0.1 * r.NormFloat64())
			}
		case KindBNWeight:
			for i := range t.Data {
				t.Data[i] = float32(1 + 0.1*r.NormFloat64())
			}
		case KindRunningVar:
			for i := range t.Data {
				t.Data[i] = float32(0.5 + r.Float64())
			}
		}
		w.Add(t)
	}
	return w
}
