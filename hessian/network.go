package hessian

import "landscape/train"

// network is the Hessian of a network's mean cross-entropy over a data set (train.HVP) as an
// Operator.
type network[T train.Float] struct{ h *train.HVP[T] }

// Network returns the Hessian that h computes products with as an Operator.
func Network[T train.Float](h *train.HVP[T]) Operator { return network[T]{h} }

func (n network[T]) Dim() int               { return n.h.Dim() }
func (n network[T]) Apply(v, out []float64) { n.h.Apply(v, out, nil) }
