package model

import (
	"fmt"
	"math"
)

// Layer is one step of an inference plan: a convolution or linear layer with batch norm folded
// into its weights and the residual add and ReLU fused into its epilogue, or a pooling layer.
//
//	Out = ReLU?( conv(In; W') + b' + Residual? )   with W'[c] = W[c]·s_c, b'_c = (b_c − μ_c)·s_c + β_c,
//	                                              s_c = γ_c / sqrt(σ²_c + ε)  (ε the node's own: Layer.Eps)
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
	Eps      float64   // its ε (Op.BNEpsilon; 0 here also means BNEps)
	K        int
	Stride   int
	Pad      int
	InShape  [3]int // [C,H,W] of one image
	OutShape [3]int

	// Layers of imported graphs (Kind as Op.Kind): the op's fields, In2 and Ins as buffers.
	In2       int     // OpAdd, OpMul standing alone: the second operand
	Broadcast bool    // OpMul: In2 is [C,1,1], one factor per channel
	Ins       []int   // OpConcat: the inputs
	InsC      []int   // OpConcat: their channel counts
	Win       Window  // as Op.Win
	Groups    int     // as Op.Groups
	TransW    bool    // as Op.TransW
	Lo, Hi    float32 // OpClip
	Alpha     float32 // OpLeakyReLU
	Beta      float32 // OpHardSigmoid (also as the fused Act)
	// HasAct: a conv, linear or batch-norm layer ends with activation Act (OpKind.IsActivation,
	// with Lo, Hi, Alpha, Beta) after its epilogue, instead of a ReLU.
	HasAct  bool
	Act     OpKind
	Arith   byte      // OpArith, as Op.Arith
	Rev     bool      // OpArith, as Op.Rev
	Const   []float32 // OpArith, as Op.Const
	Perm    []int     // OpChannels, OpPixels, as Op.Perm
	Heads   int       // OpSoftmax, OpMatMul, as Op.Heads
	TransA  bool      // OpMatMul, as Op.TransA
	Windows int       // OpMatMul, as Op.Windows
}

// Window returns the layer's geometry (see Op.Window).
func (l *Layer) Window() Window {
	op := Op{Kind: l.Kind, K: l.K, Stride: l.Stride, Pad: l.Pad, Win: l.Win}
	return op.Window()
}

// Inputs returns every buffer (or, inside Compile, slot) the layer reads.
func (l *Layer) Inputs() []int {
	in := []int{l.In}
	switch l.Kind {
	case OpConcat:
		in = l.Ins
	case OpAdd, OpMul, OpMatMul:
		in = append(in, l.In2)
	}
	if l.Residual >= 0 {
		in = append(in, l.Residual)
	}
	return in
}

// Plan is a network compiled for inference: fused layers over a few reusable buffers.
type Plan struct {
	Net     *Net
	Layers  []Layer
	Buffers []int // size (floats per image) of each buffer
	Input   int   // buffer that receives the images
	Output  int   // buffer holding the logits
}

// Compile fuses conv/linear → batch norm → add → ReLU (or Clip, LeakyReLU, Sigmoid) chains, orders the layers so that every
// residual is computed before it is added, and assigns slots to as few buffers as liveness allows.
func Compile(n *Net) (*Plan, error) {
	f := newFuser(n)
	var layers []Layer // with slot numbers in In/Out/Residual
	for i, op := range n.Ops {
		if f.used[i] {
			continue
		}
		f.used[i] = true
		l := layerOf(n, op)
		switch op.Kind {
		case OpConv, OpLinear:
			f.fuseChain(&l)
		case OpBatchNorm:
			// not after a conv or linear layer (pre-activation): an affine layer of its own, with
			// the activation after it fused
			l.BN, l.BNNames, l.Eps = op.Prefix, op.BNEntries(), op.BNEpsilon()
			f.fuseActivation(&l)
		}
		layers = append(layers, l)
	}
	order, err := topoOrder(layers, len(n.Slots))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", n.Name, err)
	}
	return allocate(n, order), nil
}

// layerOf is op as an unfused plan layer.
func layerOf(n *Net, op Op) Layer {
	l := Layer{Kind: op.Kind, In: op.In, Out: op.Out, Residual: -1, Weight: op.Weight, Bias: op.Bias,
		K: op.K, Stride: op.Stride, Pad: op.Pad, InShape: n.Slots[op.In], OutShape: n.Slots[op.Out],
		In2: op.In2, Ins: op.Ins, Win: op.Win, Groups: op.Groups, TransW: op.TransW, Lo: op.Lo, Hi: op.Hi, Alpha: op.Alpha,
		Beta: op.Beta, Arith: op.Arith, Rev: op.Rev, Const: op.Const, Perm: op.Perm, Heads: op.Heads, TransA: op.TransA, Windows: op.Windows}
	if op.Kind == OpLayerNorm {
		l.Eps = op.BNEpsilon()
	}
	for _, s := range op.Ins {
		l.InsC = append(l.InsC, n.Slots[s][0])
	}
	if op.Kind == OpMul {
		s := n.Slots[op.In2]
		l.Broadcast = s[1]*s[2] == 1 && l.InShape[1]*l.InShape[2] > 1
	}
	return l
}

// fuser tracks which ops of a net consume which slots, and which ops a layer has absorbed.
type fuser struct {
	n         *Net
	consumers []int         // ops reading each slot
	byInput   map[int][]int // the ops reading each slot
	used      []bool        // op already in a layer
}

func newFuser(n *Net) *fuser {
	f := &fuser{n: n, consumers: make([]int, len(n.Slots)), byInput: map[int][]int{}, used: make([]bool, len(n.Ops))}
	for i, op := range n.Ops {
		for _, s := range op.Inputs() {
			f.consumers[s]++
			f.byInput[s] = append(f.byInput[s], i)
		}
	}
	return f
}

// next returns the index of the op consuming slot s when s has exactly one consumer and that
// op is not yet in a layer.
func (f *fuser) next(s int) (int, bool) {
	if f.consumers[s] != 1 || len(f.byInput[s]) != 1 || f.used[f.byInput[s][0]] {
		return 0, false
	}
	return f.byInput[s][0], true
}

// fuseActivation absorbs the activation, if any, that alone reads l's output.
func (f *fuser) fuseActivation(l *Layer) {
	j, ok := f.next(l.Out)
	if !ok {
		return
	}
	switch nx := f.n.Ops[j]; {
	case nx.Kind == OpReLU:
		l.ReLU, l.Out, f.used[j] = true, nx.Out, true
	case nx.Kind.IsActivation():
		l.fuseAct(&nx)
		l.Out, f.used[j] = nx.Out, true
	}
}

// fuseChain absorbs into conv or linear layer l the ops that follow it alone, in the order
// batch norm → add (the residual) → ReLU or another activation, each optional.
func (f *fuser) fuseChain(l *Layer) {
	stage := 0 // 0: may take BN, 1: may take add, 2: may take ReLU
	for stage < 3 {
		j, ok := f.next(l.Out)
		if !ok {
			return
		}
		nx := f.n.Ops[j]
		switch {
		case nx.Kind == OpBatchNorm && stage == 0:
			l.BN, l.BNNames, l.Eps = nx.Prefix, nx.BNEntries(), nx.BNEpsilon()
			stage = 1
		case nx.Kind == OpAdd && stage <= 1 && nx.In != nx.In2:
			if nx.In == l.Out {
				l.Residual = nx.In2
			} else {
				l.Residual = nx.In
			}
			stage = 2
		case nx.Kind == OpReLU && stage <= 2:
			l.ReLU = true
			stage = 3
		case nx.Kind.IsActivation() && stage <= 2:
			l.fuseAct(&nx)
			stage = 3
		default:
			return
		}
		f.used[j] = true
		l.Out = nx.Out
	}
}

// topoOrder sorts layers so that each runs after the layers computing its inputs (slot 0, the
// images, is ready at the start), keeping their order where it already does: an add's other
// operand may come after the main branch in op order.
func topoOrder(layers []Layer, slots int) ([]Layer, error) {
	ready := make([]bool, slots)
	ready[0] = true
	var order []Layer
	done := make([]bool, len(layers))
	for len(order) < len(layers) {
		progress := false
	next:
		for i, l := range layers {
			if done[i] {
				continue
			}
			for _, s := range l.Inputs() {
				if !ready[s] {
					continue next
				}
			}
			done[i], progress = true, true
			ready[l.Out] = true
			order = append(order, l)
		}
		if !progress {
			return nil, fmt.Errorf("layer graph has a cycle or an input no op computes")
		}
	}
	return order, nil
}

// fuseAct makes activation op a the layer's epilogue.
func (l *Layer) fuseAct(a *Op) {
	l.HasAct, l.Act, l.Lo, l.Hi, l.Alpha, l.Beta = true, a.Kind, a.Lo, a.Hi, a.Alpha, a.Beta
}

// allocate maps slots to buffers, reusing a buffer once its last reader has run.
func allocate(n *Net, order []Layer) *Plan {
	lastUse := map[int]int{}
	for i, l := range order {
		for _, s := range l.Inputs() {
			lastUse[s] = i
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
		ins := l.Inputs()
		l.Ins = nil
		if l.Kind == OpConcat {
			for _, s := range ins {
				l.Ins = append(l.Ins, bufOf[s])
			}
		}
		if l.Kind == OpAdd || l.Kind == OpMul || l.Kind == OpMatMul {
			l.In2 = bufOf[l.In2]
		}
		if l.Residual >= 0 {
			l.Residual = bufOf[l.Residual]
		}
		l.In = bufOf[l.In]
		seen := map[int]bool{}
		for _, s := range ins {
			if lastUse[s] == i && !seen[s] {
				seen[s] = true
				free = append(free, bufOf[s])
			}
		}
		bufOf[l.Out] = out
		l.Out = out
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
			scale = float64(g[c]) / math.Sqrt(float64(v[c])+l.BNEpsilon())
			shift = (shift-float64(mu[c]))*scale + float64(beta[c])
		}
		row := w[c*per : (c+1)*per]
		if l.TransW { // W is [in, out]: row c of the product is column c of W
			for i := range row {
				row[i] = float32(float64(W[i*cout+c]) * scale)
			}
		} else {
			for i, x := range W[c*per : (c+1)*per] {
				row[i] = float32(float64(x) * scale)
			}
		}
		b[c] = float32(shift)
	}
}

// Affine returns a batch norm standing alone (not after a conv or linear layer) as
// y_c = x·scale_c + shift_c with scale_c = γ_c/√(σ²_c+ε), shift_c = β_c − μ_c·scale_c (float64,
// rounded to float32). get is called in the order γ, β, μ, σ².
func (l *Layer) Affine(get Get, scale, shift []float32) {
	g, beta := get(l.BNNames[0]), get(l.BNNames[1])
	mu, v := get(l.BNNames[2]), get(l.BNNames[3])
	for c := range scale {
		s := float64(g[c]) / math.Sqrt(float64(v[c])+l.BNEpsilon())
		scale[c] = float32(s)
		shift[c] = float32(float64(beta[c]) - float64(mu[c])*s)
	}
}

// BNEpsilon is the ε of the layer's batch norm (Eps, or BNEps when unset).
func (l *Layer) BNEpsilon() float64 {
	if l.Eps > 0 {
		return l.Eps
	}
	return BNEps
}

// Vectors writes the per-weight-set vectors of an OpArith or OpLayerNorm layer: for OpArith, w
// receives its operand (Weight's entries, or Const; one value or one per channel); for
// OpLayerNorm, w receives γ and b β (ones and zeros when the layer has none). get is called in
// the order Weight, Bias (absent ones skipped).
func (l *Layer) Vectors(get Get, w, b []float32) {
	switch {
	case l.Weight != "":
		copy(w, get(l.Weight))
	case l.Kind == OpArith:
		copy(w, l.Const)
	default:
		for i := range w {
			w[i] = 1
		}
	}
	if l.Kind != OpLayerNorm {
		return
	}
	if l.Bias != "" {
		copy(b, get(l.Bias))
	} else {
		clear(b)
	}
}

// VectorLen is the length of the vectors Vectors writes (0 for other kinds).
func (l *Layer) VectorLen(n *Net) int {
	switch {
	case l.Kind == OpLayerNorm:
		return l.InShape[0]
	case (l.Kind == OpArith || l.Kind == OpCatTokens) && l.Weight != "":
		return specLen(n.Spec(l.Weight))
	case l.Kind == OpArith:
		return len(l.Const)
	}
	return 0
}

func specLen(p *ParamSpec) int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Cout is the number of output channels (conv) or features (linear).
func (l *Layer) Cout() int { return l.OutShape[0] }
