package gpu

import (
	"fmt"

	"landscape/engine"
	"landscape/kernels"
	"landscape/model"
)

// The layout of imported graphs' layers (ONNX), beside the zoo's conv and linear layers:
//
//   - a convolution with groups, dilation or a window that is not K×K/stride/pad (Layer.Win set)
//     runs on kernels/conv_direct.cu, which reads W'[Cout][Cin/G][KH][KW] in PyTorch's order:
//     its fold row has Cin/G·KH·KW weights per output channel and no tap table;
//   - a batch norm standing alone is folded by the same fold_weights row as a conv's batch norm,
//     with a "weight" of one per channel taken from a row of ones appended to θ (zeros in δ and
//     η, so it stays exactly 1 at every point): W' = 1·s = γ/√(σ²+ε) and b' = (0 − μ)·s + β are
//     the scale and shift of model.Layer.Affine, bit for bit, which kernels/eltwise.cu's affine
//     applies;
//   - a MatMul weight stored [in, out] (Layer.TransW: a Linear, or a 1×1 conv from a Linear on
//     the channels of an NHWC activation) is placed transposed, [out, in], in the raw vectors θ,
//     δ, η alike (the combine θ + αδ + βη is element-wise, so transposing first is the same),
//     and folds as a Gemm weight;
//   - the per-weight-set vectors of model.Layer.Vectors are fold rows with one "weight" per
//     channel and no batch norm, so fold_weights copies them exactly (x·1 in double, rounded
//     back): a LayerNorm's γ (W', the row of ones without one) and β (b', zeros without one); an
//     arithmetic layer's operand (W', one value or one per channel), which is a parameter's
//     entries or, for a constant, a raw entry of its own holding it in θ with zeros in δ and η
//     (so it is the same at every point); a position embedding [1, T, D] is one value per
//     element, pixel-major;
//   - a class-token layer (OpCatTokens) folds its token parameter [1, k, D] the same way: a row
//     of k·D "channels" of one weight each, copied per weight set (kernels/attn.cu cat_tokens);
//   - a channel-moving layer (OpChannels) has its Perm uploaded as an int32 table, and so has a
//     pixel-selecting one (OpPixels: gather_pixels).

// onesEntry names the row of ones in the raw vector; no state_dict entry can be called so.
const onesEntry = "\x00ones"

// constEntry names the raw entry holding the constant operand of arithmetic layer i.
func constEntry(i int) string { return fmt.Sprintf("\x00const%d", i) }

// graphRaw holds what the raw vector has for imported graphs.
type graphRaw struct {
	ones       int                  // length of the row of ones at RawOffset[onesEntry] (0: none)
	transposed map[string][2]int    // MatMul weights placed transposed: name → [in, out]
	consts     map[string][]float32 // constant operands of arithmetic layers (constEntry) → values
}

// folds tells whether fold_weights makes a weight set's parameters for layer l.
func folds(l *model.Layer) bool {
	switch l.Kind {
	case model.OpConv, model.OpLinear, model.OpBatchNorm, model.OpLayerNorm, model.OpArith:
		return true
	case model.OpCatTokens:
		return l.Weight != ""
	}
	return false
}

// Direct tells whether conv layer l runs on conv_direct (groups, dilation, any window) rather
// than on the implicit-GEMM kernels.
func Direct(l *model.Layer) bool { return l.Kind == model.OpConv && l.Win.KH > 0 }

// addGraphRaw appends the row of ones (as long as the widest batch norm standing alone) and notes
// the transposed MatMul weights.
func (l *Layout) addGraphRaw(p *engine.Problem) {
	for i := range p.Plan.Layers {
		pl := &p.Plan.Layers[i]
		switch {
		case pl.Kind == model.OpBatchNorm || (pl.Kind == model.OpLayerNorm && pl.Weight == ""):
			l.ones = max(l.ones, pl.OutShape[0])
		case pl.Kind == model.OpArith && pl.Weight == "":
			if l.consts == nil {
				l.consts = map[string][]float32{}
			}
			l.consts[constEntry(i)] = pl.Const
		case (pl.Kind == model.OpLinear || pl.Kind == model.OpConv) && pl.TransW:
			if l.transposed == nil {
				l.transposed = map[string][2]int{}
			}
			if t := p.Base.Tensors[pl.Weight]; t != nil && len(t.Shape) == 2 {
				l.transposed[pl.Weight] = [2]int{t.Shape[0], t.Shape[1]}
			}
		}
	}
	if l.ones > 0 {
		l.RawOffset[onesEntry] = l.Raw
		l.Raw += l.ones
	}
	for i := range p.Plan.Layers { // in plan order: the layout is the same at every run
		if c, ok := l.consts[constEntry(i)]; ok {
			l.RawOffset[constEntry(i)] = l.Raw
			l.Raw += len(c)
		}
	}
}

// foldRow returns the raw entries of plan layer i's fold row (F_W … F_VAR, "" for none), its
// weights per output channel and output channels (values, for a vector of model.Layer.Vectors),
// and whether it runs on the implicit-GEMM conv kernels (which need a tap table or the
// tap-major order).
func (l *Layout) foldRow(p *engine.Problem, i int, pl *model.Layer, g model.ConvGeom) (names [6]string, per, cout int, gemm bool) {
	names = [6]string{pl.Weight, pl.Bias}
	if pl.BN != "" {
		copy(names[2:], pl.BNNames[:])
	}
	switch {
	case pl.Kind == model.OpBatchNorm:
		names[0], names[1] = onesEntry, ""
		return names, 1, g.Cout, false
	case pl.Kind == model.OpLayerNorm && pl.Weight == "":
		names[0] = onesEntry
		return names, 1, g.Cout, false
	case pl.Kind == model.OpLayerNorm:
		return names, 1, g.Cout, false
	case pl.Kind == model.OpArith && pl.Weight == "":
		return [6]string{constEntry(i)}, 1, len(pl.Const), false
	case pl.Kind == model.OpArith || pl.Kind == model.OpCatTokens:
		if t := p.Base.Tensors[pl.Weight]; t != nil {
			cout = len(t.Data)
		}
		return [6]string{pl.Weight}, 1, cout, false
	case Direct(pl):
		w := pl.Window()
		return names, pl.InShape[0] / max(pl.Groups, 1) * w.KH * w.KW, g.Cout, false
	}
	return names, g.R(), g.Cout, true
}

// checkVectorLen checks that arithmetic layer pl's operand has n = 1 value, one per channel or
// one per element (C·H·W, a position embedding), and that class-token layer pl's tokens are
// k·C values for its k added pixels.
func checkVectorLen(pl *model.Layer, n int) error {
	c, hw := pl.OutShape[0], pl.OutShape[1]*pl.OutShape[2]
	if pl.Kind == model.OpCatTokens {
		if k := hw - pl.InShape[1]*pl.InShape[2]; k < 1 || n != k*c {
			return fmt.Errorf("gpu: %s layer's tokens %q have %d values for %d tokens of %d channels", pl.Kind, pl.Weight, n, k, c)
		}
		return nil
	}
	if pl.Perm != nil { // a table gathered per element (Swin's relative position bias)
		if len(pl.Perm) != c*hw {
			return fmt.Errorf("gpu: %s layer has %d indices into %q for %d channels of %d pixels", pl.Kind, len(pl.Perm), pl.Weight, c, hw)
		}
		for _, j := range pl.Perm {
			if j < 0 || j >= n {
				return fmt.Errorf("gpu: %s layer's index %d is outside %q's %d values", pl.Kind, j, pl.Weight, n)
			}
		}
		return nil
	}
	if n != 1 && n != c && n != c*hw {
		return fmt.Errorf("gpu: %s layer's operand %q has %d values for %d channels of %d pixels", pl.Kind, pl.Weight, n, c, hw)
	}
	return nil
}

// vectorMode is eltwise.cu arith's vec_mode for an operand of n values on layer pl: one value,
// one per channel, one per element (pixel-major), or one per element read through the layer's
// index table (Perm).
func vectorMode(pl *model.Layer, n int) kernels.ArithVec {
	switch {
	case pl.Perm != nil:
		return kernels.ArithVecGathered
	case n == 1:
		return kernels.ArithVecOne
	case n == pl.OutShape[0]:
		return kernels.ArithVecChannel
	}
	return kernels.ArithVecPixel
}

// place copies entry name's data to dst, transposed for a MatMul weight.
func (l *Layout) place(dst []float32, name string, data []float32) {
	s, ok := l.transposed[name]
	if !ok {
		copy(dst, data)
		return
	}
	in, out := s[0], s[1]
	for i := range in {
		for o := range out {
			dst[o*in+i] = data[i*out+o]
		}
	}
}

// ThetaVector is RawVector(w) with the row of ones and the arithmetic layers' constants: the
// raw vector of the base weights θ.
func (l *Layout) ThetaVector(w *model.Weights) []float32 {
	v := l.RawVector(w)
	if l.ones > 0 {
		ones := v[l.RawOffset[onesEntry]:][:l.ones]
		for i := range ones {
			ones[i] = 1
		}
	}
	for name, c := range l.consts {
		copy(v[l.RawOffset[name]:], c)
	}
	return v
}

// permTable returns channel layer pl's Perm as gather_channels' table, checked against its
// input's channels, pixel layer pl's as gather_pixels' table, checked against its pixels (−1:
// a zero), or arithmetic layer pl's as arith's index table (checked by checkVectorLen).
func permTable(pl *model.Layer) ([]int32, error) {
	what, out, in, lo := "channel", pl.OutShape[0], pl.InShape[0], 0
	switch pl.Kind {
	case model.OpPixels:
		what, out, in, lo = "pixel", pl.OutShape[1]*pl.OutShape[2], pl.InShape[1]*pl.InShape[2], -1
	case model.OpArith:
		t := make([]int32, len(pl.Perm))
		for e, j := range pl.Perm {
			t[e] = int32(j)
		}
		return t, nil
	}
	if len(pl.Perm) != out {
		return nil, fmt.Errorf("gpu: %s layer has %d entries for %d output %ss", pl.Kind, len(pl.Perm), out, what)
	}
	t := make([]int32, len(pl.Perm))
	for c, j := range pl.Perm {
		if j < lo || j >= in {
			return nil, fmt.Errorf("gpu: %s layer: output %s %d reads %s %d of %d", pl.Kind, what, c, what, j, in)
		}
		t[c] = int32(j)
	}
	return t, nil
}
