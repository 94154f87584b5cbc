package gpu

import (
	"fmt"

	"landscape/engine"
	"landscape/kernels"
	"landscape/model"
)

// Layout says where a problem's tensors live on the device. The raw vector holds every entry of
// the base weights in state_dict order (θ, and δ, η in the same positions with zeros where a
// direction has no entry); the folded vector holds, per conv/linear layer of the plan, W' then
// b' (see kernels/weights.cu), one copy per weight set.
type Layout struct {
	Raw       int            // floats in the raw vector
	RawOffset map[string]int // entry name → offset in the raw vector
	Folded    int            // floats in one weight set's folded vector
	Table     []int32        // fold_weights' table: kernels.FoldFields per conv/linear/stand-alone BN layer
	Channels  int            // output channels summed over those layers (fold grid x)
	Layers    []LayerLayout  // per plan layer

	graphRaw // imported graphs: the row of ones, transposed MatMul weights (graph_layout.go)
}

// LayerLayout is one plan layer's folded weights and its im2col tap table (conv/linear only).
type LayerLayout struct {
	WOut, BOut int     // offsets of W' and b' in the folded vector (W' 16-byte aligned); −1 for pooling layers
	Taps       []int32 // pairs (ci·H·W + kh·W + kw, kh·65536 + kw), one per reduction index; nil when TapMajor
	Geom       model.ConvGeom
	// TapMajor: the layer runs on the fast kernels (kernels/conv_fast.cu), which read W' with its
	// reduction tap-major, Wt[m][tap·Cin + ci] = W'[m][ci·KS·KS + tap].
	TapMajor bool
	Perm     []int32 // OpChannels, OpPixels: the input channel (pixel) of each output channel (pixel): gather_channels' (gather_pixels') table; OpArith: the operand's index of each element (arith's index table)
	Vector   int     // OpArith: its operand's length, 1, one per channel or one per element; OpCatTokens: its tokens' values
}

// WIndex returns where W'[m][i] (PyTorch's order, i = ci·KS·KS + tap) lies from WOut: m·R + i,
// or m·R + tap·Cin + ci for a TapMajor layer.
func (ll LayerLayout) WIndex(j int) int {
	if !ll.TapMajor {
		return j
	}
	r, kk := ll.Geom.R(), ll.Geom.K*ll.Geom.K
	m, i := j/r, j%r
	return m*r + i%kk*ll.Geom.Cin + i/kk
}

// FastEligible tells whether the fast kernels take a layer: they copy weights 4 channels at a
// time (16 bytes), so Cin must be a multiple of 4. (The 3-channel first layer of the zoo runs on
// the reference kernels, where its 27-deep reduction wastes less of the 16-deep tiles.)
func FastEligible(g model.ConvGeom) bool { return g.Cin%4 == 0 }

// Taps returns the tap table of a geometry (see kernels/conv_tile.cuh).
func Taps(g model.ConvGeom) []int32 {
	t := make([]int32, 0, 2*g.R())
	for ci := range g.Cin {
		for kh := range g.K {
			for kw := range g.K {
				t = append(t, int32((ci*g.H+kh)*g.W+kw), int32(kh<<16|kw))
			}
		}
	}
	return t
}

// newLayout lays out problem p; fast: every FastEligible layer tap-major, for the fast kernels.
func newLayout(p *engine.Problem, fast bool) (*Layout, error) {
	l := &Layout{RawOffset: map[string]int{}}
	for _, name := range p.Base.Names {
		l.RawOffset[name] = l.Raw
		l.Raw += len(p.Base.Tensors[name].Data)
	}
	l.addGraphRaw(p)
	if l.Raw >= 1<<31 {
		return nil, fmt.Errorf("gpu: %d parameters do not fit the kernels' 32-bit offsets", l.Raw)
	}
	for i := range p.Plan.Layers {
		pl := &p.Plan.Layers[i]
		ll := LayerLayout{WOut: -1, BOut: -1}
		var err error
		if folds(pl) {
			if ll, err = l.addFoldRow(p, i, pl, fast); err != nil {
				return nil, err
			}
		}
		if pl.Kind == model.OpChannels || pl.Kind == model.OpPixels || (pl.Kind == model.OpArith && pl.Perm != nil) {
			if ll.Perm, err = permTable(pl); err != nil {
				return nil, err
			}
		}
		l.Layers = append(l.Layers, ll)
	}
	l.Folded = (l.Folded + 3) / 4 * 4 // every weight set's vector 16-byte aligned
	return l, nil
}

// rawOffset returns entry name's offset in the raw vector, −1 for "" (none).
func (l *Layout) rawOffset(name string) (int32, error) {
	if name == "" {
		return -1, nil
	}
	off, ok := l.RawOffset[name]
	if !ok {
		return 0, fmt.Errorf("gpu: weights have no entry %q", name)
	}
	return int32(off), nil
}

// addFoldRow appends fold_weights' row of plan layer i (pl) to the table, places its W' and b'
// in the folded vector and returns its layout.
func (l *Layout) addFoldRow(p *engine.Problem, i int, pl *model.Layer, fast bool) (LayerLayout, error) {
	ll := LayerLayout{WOut: -1, BOut: -1}
	g := pl.Geom()
	// Raw offsets (rawFields), −1 for what the layer lacks.
	names, per, cout, gemm := l.foldRow(p, i, pl, g)
	if pl.Kind == model.OpArith || pl.Kind == model.OpCatTokens {
		if err := checkVectorLen(pl, cout); err != nil {
			return ll, err
		}
		ll.Vector = cout
	}
	g.Cout = cout
	ll.Geom, ll.TapMajor = g, gemm && fast && FastEligible(g)
	if gemm && !ll.TapMajor {
		ll.Taps = Taps(g)
	}
	ll.WOut = (l.Folded + 3) / 4 * 4 // 16-byte aligned rows for the fast kernels' copies
	ll.BOut = ll.WOut + g.Cout*per
	row := make(kernels.FoldRow, kernels.FoldFields)
	for j, name := range names {
		off, err := l.rawOffset(name)
		if err != nil {
			return ll, err
		}
		row[rawFields[j]] = off
	}
	row.SetPer(int32(per))
	row.SetCout(int32(g.Cout))
	row.SetWout(int32(ll.WOut))
	row.SetBout(int32(ll.BOut))
	row.SetFirst(int32(l.Channels))
	if ll.TapMajor {
		row.SetTaps(int32(g.K * g.K))
	}
	eps, err := bnEpsilon(p.Plan.Net, pl)
	if err != nil {
		return ll, err
	}
	row.SetEps(eps)
	if t := p.Base.Tensors[pl.Weight]; t != nil && len(t.Data) != g.Cout*per {
		return ll, fmt.Errorf("gpu: %s has %d weights, layer needs %d", pl.Weight, len(t.Data), g.Cout*per)
	}
	l.Table = append(l.Table, row...)
	l.Channels += g.Cout
	l.Folded = ll.BOut + g.Cout
	return ll, nil
}

// rawFields are the fold row's fields that hold raw offsets, in foldRow's order of names.
var rawFields = [6]kernels.FoldField{kernels.FoldW, kernels.FoldBias, kernels.FoldGamma, kernels.FoldBeta, kernels.FoldMean, kernels.FoldVar}

// bnEpsilon returns the ε of layer pl's batch norm (model.Op.BNEpsilon of the node its entries
// come from in net), or model.BNEps for a layer without one.
func bnEpsilon(net *model.Net, pl *model.Layer) (float64, error) {
	if pl.BN == "" {
		return model.BNEps, nil
	}
	if net != nil {
		for i := range net.Ops {
			if op := &net.Ops[i]; op.Kind == model.OpBatchNorm && op.BNEntries() == pl.BNNames {
				return op.BNEpsilon(), nil
			}
		}
	}
	return 0, fmt.Errorf("gpu: batch norm %s of the plan is no node of its network", pl.BN)
}

// RawVector returns w's entries at their raw offsets, zeros where w has no entry (w may be nil).
func (l *Layout) RawVector(w *model.Weights) []float32 {
	v := make([]float32, l.Raw)
	if w == nil {
		return v
	}
	for name, off := range l.RawOffset {
		if t := w.Get(name); t != nil {
			l.place(v[off:], name, t.Data)
		}
	}
	return v
}

// Capacity picks the weight sets K and images B per launch for a device with free bytes of
// memory: B = min(n, 1024) images, and as many weight sets (at most 64) as 80% of free memory
// holds, each needing its folded vector and B images' activations; B shrinks when not even one
// weight set fits. It returns (0, 0) when nothing fits.
func (l *Layout) Capacity(p *engine.Problem, free int64) (points, images int) {
	perImage := int64(0) // bytes of activations per (weight set, image)
	for _, b := range p.Plan.Buffers {
		perImage += 4 * int64(b)
	}
	budget := free*8/10 - 256<<20
	perSet := 4*int64(l.Folded) + 16
	images = min(p.Data.N, 1024)
	if budget < perSet+perImage {
		return 0, 0
	}
	k := budget / (perSet + int64(images)*perImage)
	if k < 1 {
		return 1, int((budget - perSet) / perImage)
	}
	return int(min(k, 64)), images
}

// Bytes is the device memory the engine allocates for K weight sets of B images, beyond the
// resident problem (dataset, θ, δ, η, tables).
func (l *Layout) Bytes(p *engine.Problem, k, b int) int64 {
	var n int64
	for _, s := range p.Plan.Buffers {
		n += 4 * int64(s) * int64(k) * int64(b)
	}
	return n + int64(k)*(4*int64(l.Folded)+8+3*8) // folded weights, (α, β), Σ ℓ, Σ ℓ², correct
}
