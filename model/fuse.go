package model

import (
	"fmt"
	"math"
)

// Layer is one step of an inference plan: a convolution or linear layer with batch norm folded
// into its weights and the residual add and ReLU fused into its epilogue, or a pooling layer.
//
//	Out = ReLU?( conv(In; W') + b' + Residual? )   with W'[c] = W[c]·s_c, b'_c = (b_c − μ_c)·s_c + β_c,
//	                                              s_c = γ_c / sqrt(σ²_c + 1e-5)
//
// which is exact in evaluation mode (batch norm uses its running statistics).
type Layer struct {
	Kind     OpKind // OpConv, OpLinear, OpMaxPool or OpGlobalAvgPool
	In, Out  int    // plan buffers
	Residual int    // buffer added before the ReLU, or -1
	ReLU     bool
	Weight   string    // conv/linear weight entry
	Bias     string    // conv/linear bias entry, or ""
	BN       string    // prefix of the folded batch norm, or ""
	BNNames  [4]string // its entries: BN+".weight", ".bias", ".running_mean", ".running_var"
	K        int
	Stride   int
	Pad      int
	InShape  [3]int // [C,H,W] of one image
	OutShape [3]int
}

// Plan is a network compiled for inference: fused layers over a few reusable buffers.
type Plan struct {
	Net     *Net
	Layers  []Layer
	Buffers []int // size (floats per image) of each buffer
	Input   int   // buffer that receives the images
	Output  int   // buffer holding the logits
}

// Compile fuses conv/linear → batch norm → add → ReLU chains, orders the layers so that every
// residual is computed before it is added, and assigns slots to as few buffers as liveness allows.
func Compile(n *Net) (*Plan, error) {
	consumers := make([]int, len(n.Slots))
	for _, op := range n.Ops {
		consumers[op.In]++
		if op.Kind == OpAdd {
			consumers[op.In2]++
		}
	}
	byInput := map[int][]int{}
	for i, op := range n.Ops {
		byInput[op.In] = append(byInput[op.In], i)
	}
	// next returns the index of the single op consuming slot s, if s has exactly one consumer.
	next := func(s int) (int, bool) {
		if consumers[s] != 1 || len(byInput[s]) != 1 {
			return 0, false
		}
		return byInput[s][0], true
	}
	type group struct {
		l        Layer // with slot numbers in In/Out/Residual
		absorbed int
	}
	var groups []group
	used := make([]bool, len(n.Ops))
	for i, op := range n.Ops {
		if used[i] {
			continue
		}
		used[i] = true
		l := Layer{Kind: op.Kind, In: op.In, Out: op.Out, Residual: -1, Weight: op.Weight, Bias: op.Bias,
			K: op.K, Stride: op.Stride, Pad: op.Pad, InShape: n.Slots[op.In], OutShape: n.Slots[op.Out]}
		switch op.Kind {
		case OpConv, OpLinear:
		case OpMaxPool, OpGlobalAvgPool:
			groups = append(groups, group{l: l})
			continue
		default:
			return nil, fmt.Errorf("model %s: %s op on slot %d does not follow a conv or linear layer", n.Name, op.Kind, op.In)
		}
		stage := 0 // 0: may take BN, 1: may take add, 2: may take ReLU
		for {
			j, ok := next(l.Out)
			if !ok || used[j] {
				break
			}
			nx := n.Ops[j]
			switch {
			case nx.Kind == OpBatchNorm && stage == 0:
				l.BN = nx.Prefix
				l.BNNames = [4]string{l.BN + ".weight", l.BN + ".bias", l.BN + ".running_mean", l.BN + ".running_var"}
				stage = 1
			case nx.Kind == OpAdd && stage <= 1:
				if nx.In == l.Out {
					l.Residual = nx.In2
				} else {
					l.Residual = nx.In
				}
				stage = 2
			case nx.Kind == OpReLU && stage <= 2:
				l.ReLU = true
				stage = 3
			default:
				stage = -1
			}
			if stage < 0 {
				break
			}
			used[j] = true
			l.Out = nx.Out
			if stage == 3 {
				break
			}
		}
		groups = append(groups, group{l: l})
	}
	// An add's other operand may come after the main branch in op order: run a stable topological sort.
	ready := make([]bool, len(n.Slots))
	ready[0] = true
	var order []Layer
	done := make([]bool, len(groups))
	for len(order) < len(groups) {
		progress := false
		for i, g := range groups {
			if done[i] || !ready[g.l.In] || (g.l.Residual >= 0 && !ready[g.l.Residual]) {
				continue
			}
			done[i], progress = true, true
			ready[g.l.Out] = true
			order = append(order, g.l)
		}
		if !progress {
			return nil, fmt.Errorf("model %s: layer graph has a cycle or an unfusable op", n.Name)
		}
	}
	return allocate(n, order), nil
}

// allocate maps slots to buffers, reusing a buffer once its last reader has run.
func allocate(n *Net, order []Layer) *Plan {
	lastUse := map[int]int{}
	for i, l := range order {
		lastUse[l.In] = i
		if l.Residual >= 0 {
			lastUse[l.Residual] = i
		}
	}
	p := &Plan{Net: n}
	bufOf := map[int]int{}
	var free []int
	get := func(size int) int {
		if k := len(free); k > 0 {
			b := free[k-1]
			free = free[:k-1]
			p.Buffers[b] = max(p.Buffers[b], size)
			return b
		}
		p.Buffers = append(p.Buffers, size)
		return len(p.Buffers) - 1
	}
	size := func(s int) int { return n.Slots[s][0] * n.Slots[s][1] * n.Slots[s][2] }
	p.Input = get(size(0))
	bufOf[0] = p.Input
	for i, l := range order {
		out := get(size(l.Out)) // allocated before inputs are freed: never aliases an input
		in, res := bufOf[l.In], -1
		if l.Residual >= 0 {
			res = bufOf[l.Residual]
		}
		for _, s := range []int{l.In, l.Residual} {
			if s >= 0 && lastUse[s] == i {
				free = append(free, bufOf[s])
			}
		}
		bufOf[l.Out] = out
		l.In, l.Out, l.Residual = in, out, res
		p.Layers = append(p.Layers, l)
	}
	p.Output = bufOf[n.Output]
	return p
}

// Get returns the data of a named entry of a weight set.
type Get func(name string) []float32

// Fold returns the layer's weight and bias with its batch norm folded in (computed in float64,
// rounded to float32): W'[c,…] = W[c,…]·s_c, b'_c = (b_c − μ_c)·s_c + β_c, s_c = γ_c/√(σ²_c+ε).
// A negative variance gives NaN, as PyTorch would. w and b receive the results (len(W), Cout).
// get is called once per entry, in the order weight, bias, γ, β, μ, σ² (absent ones skipped).
func (l *Layer) Fold(get Get, w, b []float32) {
	W := get(l.Weight)
	var bias, g, beta, mu, v []float32
	if l.Bias != "" {
		bias = get(l.Bias)
	}
	if l.BN != "" {
		g, beta = get(l.BNNames[0]), get(l.BNNames[1])
		mu, v = get(l.BNNames[2]), get(l.BNNames[3])
	}
	cout := len(b)
	per := len(W) / cout
	for c := range cout {
		shift, scale := 0.0, 1.0
		if bias != nil {
			shift = float64(bias[c])
		}
		if l.BN != "" {
			scale = float64(g[c]) / math.Sqrt(float64(v[c])+BNEps)
			shift = (shift-float64(mu[c]))*scale + float64(beta[c])
		}
		row := w[c*per : (c+1)*per]
		for i, x := range W[c*per : (c+1)*per] {
			row[i] = float32(float64(x) * scale)
		}
		b[c] = float32(shift)
	}
}

// Cout is the number of output channels (conv) or features (linear).
func (l *Layer) Cout() int { return l.OutShape[0] }
