package train

// SGD is torch.optim.SGD with dampening 0, over every trainable parameter:
//
//	g ← ∇L + wd·w
//	buf ← g on the first step, momentum·buf + g afterwards     (only when momentum ≠ 0)
//	g ← g + momentum·buf with Nesterov, else g ← buf
//	w ← w − lr·g
//
// computed elementwise in the parameters' type, as PyTorch does in float32.
type SGD[T Float] struct {
	LR, Momentum, WD float64
	Nesterov         bool
	// Bufs holds the momentum buffer of each parameter by name, once the first step has made
	// them (empty before, and always when Momentum is 0).
	Bufs map[string][]T
}

// Step updates every parameter with a gradient from its Grad.
func (o *SGD[T]) Step(params []*Param[T]) {
	if o.Bufs == nil {
		o.Bufs = map[string][]T{}
	}
	lr, mom, wd := T(o.LR), T(o.Momentum), T(o.WD)
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		buf, ok := o.Bufs[p.Name]
		if !ok && o.Momentum != 0 {
			buf = make([]T, len(p.Data))
			o.Bufs[p.Name] = buf
		}
		for i, g := range p.Grad {
			w := p.Data[i]
			if wd != 0 {
				g += wd * w
			}
			if mom != 0 {
				if ok {
					buf[i] = mom*buf[i] + g
				} else {
					buf[i] = g
				}
				if o.Nesterov {
					g += mom * buf[i]
				} else {
					g = buf[i]
				}
			}
			p.Data[i] = w - lr*g
		}
	}
}
