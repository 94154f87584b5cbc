package enginetest

import (
	"landscape/engine"
	"landscape/model"
)

// Folded is the weight set at pt folded per plan layer, as every engine must compute it before
// its forward pass: convolutions and linear layers with their batch norm folded in
// (model.Layer.Fold), standalone batch norms as their per-channel scale and shift
// (model.Layer.Affine), LayerNorm's γ and β, an arithmetic layer's operand and a class-token
// layer's tokens (with zeros for b) as model.Layer.Vectors; w[i] and b[i] are nil for layers without weights.
func Folded(p *engine.Problem, pt engine.Point) (w, b [][]float32) {
	ws := p.WeightsAt(pt)
	get := func(name string) []float32 { return ws.Tensors[name].Data }
	w, b = make([][]float32, len(p.Plan.Layers)), make([][]float32, len(p.Plan.Layers))
	for i := range p.Plan.Layers {
		l := &p.Plan.Layers[i]
		switch l.Kind {
		case model.OpConv, model.OpLinear:
			w[i], b[i] = make([]float32, len(get(l.Weight))), make([]float32, l.Cout())
			l.Fold(get, w[i], b[i])
		case model.OpBatchNorm:
			w[i], b[i] = make([]float32, l.Cout()), make([]float32, l.Cout())
			l.Affine(get, w[i], b[i])
		case model.OpLayerNorm, model.OpArith, model.OpCatTokens:
			n := l.VectorLen(p.Net)
			w[i], b[i] = make([]float32, n), make([]float32, n) // an arithmetic layer's b: zeros
			l.Vectors(get, w[i], b[i])
		}
	}
	return w, b
}
