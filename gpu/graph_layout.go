package gpu

import (
	"landscape/engine"
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
//   - a MatMul weight stored [in, out] (Layer.TransW) is placed transposed, [out, in], in the raw
//     vectors θ, δ, η alike (the combine θ + αδ + βη is element-wise, so transposing first is the
//     same), and folds as a Gemm weight.

// onesEntry names the row of ones in the raw vector; no state_dict entry can be called so.
const onesEntry = "\x00ones"

// graphRaw holds what the raw vector has for imported graphs.
type graphRaw struct {
	ones       int               // length of the row of ones at RawOffset[onesEntry] (0: none)
	transposed map[string][2]int // MatMul weights placed transposed: name → [in, out]
}

// folds tells whether fold_weights makes a weight set's parameters for layer l.
func folds(l *model.Layer) bool {
	return l.Kind == model.OpConv || l.Kind == model.OpLinear || l.Kind == model.OpBatchNorm
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
		case pl.Kind == model.OpBatchNorm:
			l.ones = max(l.ones, pl.OutShape[0])
		case pl.Kind == model.OpLinear && pl.TransW:
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
}

// foldRow returns the raw entries of layer pl's fold row (F_W … F_VAR, "" for none), its weights
// per output channel, and whether it runs on the implicit-GEMM conv kernels (which need a tap
// table or the tap-major order).
func (l *Layout) foldRow(pl *model.Layer, g ConvGeom) (names [6]string, per int, gemm bool) {
	names = [6]string{pl.Weight, pl.Bias}
	if pl.BN != "" {
		copy(names[2:], pl.BNNames[:])
	}
	switch {
	case pl.Kind == model.OpBatchNorm:
		names[0], names[1] = onesEntry, ""
		return names, 1, false
	case Direct(pl):
		w := pl.Window()
		return names, pl.InShape[0] / max(pl.Groups, 1) * w.KH * w.KW, false
	}
	return names, g.R(), true
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

// ThetaVector is RawVector(w) with the row of ones: the raw vector of the base weights θ.
func (l *Layout) ThetaVector(w *model.Weights) []float32 {
	v := l.RawVector(w)
	if l.ones > 0 {
		ones := v[l.RawOffset[onesEntry]:][:l.ones]
		for i := range ones {
			ones[i] = 1
		}
	}
	return v
}
