package model

import (
	"fmt"
	"math"
	"slices"
)

// Tensor is a named float32 tensor in row-major (C) order, as PyTorch stores it.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// NewTensor allocates a zero tensor of the given shape.
func NewTensor(name string, shape ...int) *Tensor {
	return &Tensor{Name: name, Shape: slices.Clone(shape), Data: make([]float32, Numel(shape))}
}

// Numel is the number of elements of a tensor of the given shape (1 for a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Weights is an ordered set of named tensors, like a PyTorch state_dict.
type Weights struct {
	Names   []string
	Tensors map[string]*Tensor
}

// NewWeights returns an empty set.
func NewWeights() *Weights { return &Weights{Tensors: map[string]*Tensor{}} }

// Add appends a tensor; a tensor of the same name is replaced in place.
func (w *Weights) Add(t *Tensor) {
	if _, ok := w.Tensors[t.Name]; !ok {
		w.Names = append(w.Names, t.Name)
	}
	w.Tensors[t.Name] = t
}

// Get returns the tensor called name, or nil.
func (w *Weights) Get(name string) *Tensor {
	if w == nil {
		return nil
	}
	return w.Tensors[name]
}

// Clone returns a deep copy.
func (w *Weights) Clone() *Weights {
	c := NewWeights()
	for _, n := range w.Names {
		c.Add(w.Tensors[n].Clone())
	}
	return c
}

// ShapeString formats a shape as PyTorch prints it, e.g. [16, 3, 3, 3].
func ShapeString(s []int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out + "]"
}

// AllFinite reports whether every element of every tensor is finite.
func (w *Weights) AllFinite() bool {
	for _, t := range w.Tensors {
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	}
	return true
}
