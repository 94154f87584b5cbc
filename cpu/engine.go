package cpu

import (
	"context"

	"landscape/engine"
	"landscape/model"
)

// Engine evaluates weight sets one image at a time on the calling goroutine. Run several
// (one per core) for parallelism: the scheduler does.
type Engine struct {
	p     *engine.Problem
	bufs  [][]float32 // the plan's activation buffers, for one image
	col   []float32   // im2col scratch
	cache []prepared  // most recently used weight sets, newest last
}

// prepared holds a weight set's folded layer weights and biases.
type prepared struct {
	pt   engine.Point
	w, b [][]float32 // per plan layer (nil for pooling layers)
}

const cacheSize = 4

// New returns a CPU engine for p. It satisfies engine.Factory.
func New(p *engine.Problem) (engine.Engine, error) {
	e := &Engine{p: p}
	for _, n := range p.Plan.Buffers {
		e.bufs = append(e.bufs, make([]float32, n))
	}
	cols := 0
	for _, l := range p.Plan.Layers {
		if l.Kind == model.OpConv {
			cols = max(cols, geom(&l).ColSize())
		}
	}
	e.col = make([]float32, cols)
	return e, nil
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "cpu" }

// Close implements engine.Engine.
func (e *Engine) Close() error { return nil }

func geom(l *model.Layer) ConvGeom {
	return ConvGeom{Cin: l.InShape[0], H: l.InShape[1], W: l.InShape[2],
		Cout: l.OutShape[0], OH: l.OutShape[1], OW: l.OutShape[2], K: l.K, Stride: l.Stride, Pad: l.Pad}
}

// Prepare folds the weight set at pt into per-layer weights and biases.
func Prepare(p *engine.Problem, pt engine.Point) (w, b [][]float32) {
	ws := p.WeightsAt(pt)
	get := func(name string) []float32 { return ws.Tensors[name].Data }
	w, b = make([][]float32, len(p.Plan.Layers)), make([][]float32, len(p.Plan.Layers))
	for i, l := range p.Plan.Layers {
		if l.Kind != model.OpConv && l.Kind != model.OpLinear {
			continue
		}
		w[i] = make([]float32, len(get(l.Weight)))
		b[i] = make([]float32, l.Cout())
		l.Fold(get, w[i], b[i])
	}
	return w, b
}

func (e *Engine) prepare(pt engine.Point) *prepared {
	for i := range e.cache {
		if e.cache[i].pt == pt {
			return &e.cache[i]
		}
	}
	w, b := Prepare(e.p, pt)
	if len(e.cache) == cacheSize {
		e.cache = e.cache[1:]
	}
	e.cache = append(e.cache, prepared{pt: pt, w: w, b: b})
	return &e.cache[len(e.cache)-1]
}

// Evaluate implements engine.Engine.
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	out := make([]engine.Sums, len(pts))
	d := e.p.Data
	for k, pt := range pts {
		ws := e.prepare(pt)
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			logits := e.Forward(ws.w, ws.b, d.Image(i))
			loss, ok := engine.CrossEntropy(logits, d.Labels[i])
			out[k].Loss += loss
			if ok {
				out[k].Correct++
			}
		}
	}
	return out, nil
}

// Forward runs the plan on one image with folded weights w, b and returns the logits
// (valid until the next call).
func (e *Engine) Forward(w, b [][]float32, img []float32) []float32 {
	plan := e.p.Plan
	copy(e.bufs[plan.Input], img)
	for i, l := range plan.Layers {
		in, out := e.bufs[l.In], e.bufs[l.Out]
		var res []float32
		if l.Residual >= 0 {
			res = e.bufs[l.Residual]
		}
		switch l.Kind {
		case model.OpConv:
			Conv(out, in, w[i], b[i], res, l.ReLU, geom(&l), e.col)
		case model.OpLinear:
			n := l.InShape[0] * l.InShape[1] * l.InShape[2]
			Linear(out[:l.Cout()], in[:n], w[i], b[i], l.ReLU)
		case model.OpMaxPool:
			MaxPool(out, in, l.InShape[0], l.InShape[1], l.InShape[2], l.K)
		case model.OpGlobalAvgPool:
			GlobalAvgPool(out[:l.InShape[0]], in, l.InShape[1]*l.InShape[2])
		}
	}
	return e.bufs[plan.Output][:e.p.Net.Classes]
}
