//go:build cuda

package gpu

import (
	"context"
	"fmt"

	"gorgonia.org/cu"

	"landscape/engine"
	"landscape/kernels"
	"landscape/model"
)

// Engine evaluates weight sets of one problem on one GPU. The dataset, θ, δ, η, the fold table
// and the tap tables are uploaded once; each Evaluate sends (α_k, β_k) per point and receives
// per-point sums. Like every engine it is used by one goroutine at a time.
type Engine struct {
	d      *device
	p      *engine.Problem
	layout *Layout
	conv   string // conv kernel precision part: f32, tf32, bf16
	k, b   int    // weight sets and images per launch
	stream cu.Stream
	start  cu.Event
	stop   cu.Event

	images, labels   cu.DevicePtr // the whole dataset, resident
	theta, dx, dy    cu.DevicePtr // raw vectors
	table            cu.DevicePtr // fold_weights' table
	taps             []cu.DevicePtr
	folded           cu.DevicePtr   // [k][layout.Folded]
	ab               cu.DevicePtr   // [k][2] float32
	lossSum, correct cu.DevicePtr   // [k] float64, [k] int64
	bufs             []cu.DevicePtr // plan buffers, [k·b][size]
	lastMilliseconds float64
}

// New uploads problem p to GPU o.Device and returns its engine.
func New(p *engine.Problem, o Options) (engine.Engine, error) { return Open(p, o) }

// Open is New returning the concrete type (for Capacity, Stats and the kernel tests).
func Open(p *engine.Problem, o Options) (*Engine, error) {
	conv, err := kernelPrecision(o.Precision)
	if err != nil {
		return nil, err
	}
	layout, err := NewLayout(p)
	if err != nil {
		return nil, err
	}
	d, err := openDevice(o.Device)
	if err != nil {
		return nil, err
	}
	e := &Engine{d: d, p: p, layout: layout, conv: conv}
	if err := e.init(o); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) init(o Options) error {
	release, err := e.d.bind()
	if err != nil {
		return err
	}
	defer release()
	if e.stream, err = cu.MakeStream(cu.DefaultStream); err != nil {
		return fmt.Errorf("gpu: %s: creating a stream: %w", e.d.name, err)
	}
	if e.start, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return fmt.Errorf("gpu: %s: creating an event: %w", e.d.name, err)
	}
	if e.stop, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
		return fmt.Errorf("gpu: %s: creating an event: %w", e.d.name, err)
	}
	p, l, d := e.p, e.layout, e.d
	steps := []func() error{
		func() (err error) { e.images, err = upload(d, p.Data.Images); return },
		func() (err error) { e.labels, err = upload(d, p.Data.Labels); return },
		func() (err error) { e.theta, err = upload(d, l.RawVector(p.Base)); return },
		func() (err error) { e.dx, err = upload(d, l.RawVector(p.DX)); return },
		func() (err error) { e.dy, err = upload(d, l.RawVector(p.DY)); return },
		func() (err error) { e.table, err = upload(d, l.Table); return },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	e.taps = make([]cu.DevicePtr, len(l.Layers))
	for i, ll := range l.Layers {
		if ll.Taps != nil {
			if e.taps[i], err = upload(d, ll.Taps); err != nil {
				return err
			}
		}
	}
	free, _, err := cu.MemInfo()
	if err != nil {
		return fmt.Errorf("gpu: %s: reading free memory: %w", d.name, err)
	}
	k, b := l.Capacity(p, free)
	if o.Points > 0 {
		k = o.Points
	}
	if o.Images > 0 {
		b = o.Images
	}
	if k < 1 || b < 1 {
		return fmt.Errorf("gpu: %s: %d MiB free is too little for one weight set of %s", d.name, free>>20, p.Net.Name)
	}
	e.k, e.b = k, b
	if e.folded, err = d.alloc(int64(k) * int64(l.Folded) * 4); err != nil {
		return err
	}
	if e.ab, err = d.alloc(int64(k) * 8); err != nil {
		return err
	}
	if e.lossSum, err = d.alloc(int64(k) * 8); err != nil {
		return err
	}
	if e.correct, err = d.alloc(int64(k) * 8); err != nil {
		return err
	}
	for _, size := range p.Plan.Buffers {
		buf, err := d.alloc(int64(k) * int64(b) * int64(size) * 4)
		if err != nil {
			return err
		}
		e.bufs = append(e.bufs, buf)
	}
	return nil
}

// Name implements engine.Engine: "gpu0 (NVIDIA H100 80GB HBM3, tf32)".
func (e *Engine) Name() string {
	prec := map[string]string{"f32": "fp32", "tf32": "tf32", "bf16": "bf16"}[e.conv]
	return fmt.Sprintf("gpu%d (%s, %s)", e.d.ordinal, e.d.name, prec)
}

// Capacity returns the weight sets and images one launch takes (scan.Capacity).
func (e *Engine) Capacity() (points, images int) { return e.k, e.b }

// LastMilliseconds is the device time of the last Evaluate, measured with events.
func (e *Engine) LastMilliseconds() float64 { return e.lastMilliseconds }

// Close implements engine.Engine.
func (e *Engine) Close() error {
	if e.d == nil {
		return nil
	}
	release, err := e.d.bind()
	if err != nil {
		return err
	}
	defer release()
	var zero cu.Stream
	if e.stream != zero {
		e.stream.Synchronize()
		e.stream.Destroy()
	}
	var noEvent cu.Event
	if e.start != noEvent {
		cu.DestroyEvent(&e.start)
	}
	if e.stop != noEvent {
		cu.DestroyEvent(&e.stop)
	}
	err = e.d.close()
	e.d = nil
	return err
}

// Evaluate implements engine.Engine: the points go through in groups of Capacity's K, the
// images [lo, hi) in batches of B; the sums stay on the device until the group is done.
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	if e.d == nil {
		return nil, fmt.Errorf("gpu: engine is closed")
	}
	if lo < 0 || hi > e.p.Data.N || lo > hi {
		return nil, fmt.Errorf("gpu: images [%d, %d) outside the %d of the dataset", lo, hi, e.p.Data.N)
	}
	release, err := e.d.bind()
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([]engine.Sums, len(pts))
	if err := e.start.Record(e.stream); err != nil {
		return nil, fmt.Errorf("gpu: recording an event: %w", err)
	}
	for p0 := 0; p0 < len(pts); p0 += e.k {
		group := pts[p0:min(p0+e.k, len(pts))]
		if err := e.evaluateGroup(ctx, group, lo, hi, out[p0:p0+len(group)]); err != nil {
			return nil, err
		}
	}
	if err := e.stop.Record(e.stream); err == nil && e.stop.Synchronize() == nil {
		e.lastMilliseconds, _ = e.start.Elapsed(e.stop)
	}
	return out, nil
}

func (e *Engine) evaluateGroup(ctx context.Context, pts []engine.Point, lo, hi int, out []engine.Sums) error {
	k := len(pts)
	ab := make([]float32, 2*k)
	for i, pt := range pts {
		// WeightsAt never multiplies a missing direction: keep a NaN coordinate off it too.
		if e.p.DX != nil {
			ab[2*i] = float32(pt.A)
		}
		if e.p.DY != nil {
			ab[2*i+1] = float32(pt.B)
		}
	}
	// cuMemcpyHtoD and cuMemsetD8 run on the legacy default stream, which waits for the work of
	// e.stream (a blocking stream) and is waited for by it.
	if err := copyTo(e.d, e.ab, ab); err != nil {
		return err
	}
	if err := cu.MemsetD8(e.lossSum, 0, int64(k)*8); err != nil {
		return fmt.Errorf("gpu: clearing sums: %w", err)
	}
	if err := cu.MemsetD8(e.correct, 0, int64(k)*8); err != nil {
		return fmt.Errorf("gpu: clearing counts: %w", err)
	}
	l := e.layout
	if err := e.d.launch(e.stream, "fold_weights", dim{l.Channels, k, 1}, dim{128, 1, 1}, 0,
		e.theta, e.dx, e.dy, e.ab, e.table, len(l.Table)/kernels.FoldFields, e.folded, l.Folded); err != nil {
		return err
	}
	data := e.p.Data
	pixels := data.C * data.H * data.W
	for b0 := lo; b0 < hi; b0 += e.b {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := min(e.b, hi-b0)
		img := e.images + cu.DevicePtr(b0*pixels*4)
		logits, err := e.forward(k, b, img)
		if err != nil {
			return err
		}
		if err := e.d.launch(e.stream, "cross_entropy", dim{k, 1, 1}, dim{kernels.LossThreads, 1, 1}, 0,
			logits, e.labels+cu.DevicePtr(b0*4), b, e.p.Net.Classes, e.lossSum, e.correct); err != nil {
			return err
		}
	}
	if err := e.stream.Synchronize(); err != nil {
		return fmt.Errorf("gpu: %s: running the network: %w", e.d.name, err)
	}
	loss := make([]float64, k)
	correct := make([]int64, k)
	if err := copyFrom(e.d, loss, e.lossSum); err != nil {
		return err
	}
	if err := copyFrom(e.d, correct, e.correct); err != nil {
		return err
	}
	for i := range out {
		out[i] = engine.Sums{Loss: loss[i], Correct: correct[i]}
	}
	return nil
}

// forward runs the plan for k weight sets on b images starting at img (shared by all sets)
// and returns the logits, [k][b][classes].
func (e *Engine) forward(k, b int, img cu.DevicePtr) (cu.DevicePtr, error) {
	plan := e.p.Plan
	size := func(s [3]int) int { return s[0] * s[1] * s[2] }
	for i, pl := range plan.Layers {
		in, inSet := e.bufs[pl.In], b*size(pl.InShape)
		if pl.In == plan.Input {
			in, inSet = img, 0
		}
		out := e.bufs[pl.Out]
		switch pl.Kind {
		case model.OpConv, model.OpLinear:
			var res cu.DevicePtr
			if pl.Residual >= 0 {
				if pl.Residual == plan.Input {
					return 0, fmt.Errorf("gpu: layer %d adds the network input, which the kernels do not support", i)
				}
				res = e.bufs[pl.Residual]
			}
			if err := e.conv2d(k, b, i, in, inSet, res, out, pl.ReLU); err != nil {
				return 0, err
			}
		case model.OpMaxPool, model.OpGlobalAvgPool:
			if pl.In == plan.Input {
				return 0, fmt.Errorf("gpu: layer %d pools the network input, which the kernels do not support", i)
			}
			c, h, w := pl.InShape[0], pl.InShape[1], pl.InShape[2]
			var err error
			if pl.Kind == model.OpMaxPool {
				total := k * b * size(pl.OutShape)
				err = e.d.launch(e.stream, "maxpool", dim{blocks(total, 256), 1, 1}, dim{256, 1, 1}, 0, in, out, k*b, c, h, w, pl.K)
			} else {
				planes := k * b * c
				err = e.d.launch(e.stream, "avgpool", dim{blocks(planes, 256), 1, 1}, dim{256, 1, 1}, 0, in, out, planes, h*w)
			}
			if err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("gpu: layer %d: unsupported %s", i, pl.Kind)
		}
	}
	return e.bufs[plan.Output], nil
}

// conv2d launches plan layer i's convolution (or linear layer) for k weight sets of b images.
func (e *Engine) conv2d(k, b, i int, in cu.DevicePtr, inSet int, res, out cu.DevicePtr, relu bool) error {
	ll := e.layout.Layers[i]
	g := ll.Geom
	bm := kernels.ConvTile(g.Cout)
	pixels := b * g.OH * g.OW
	wOff := e.folded + cu.DevicePtr(4*ll.WOut)
	bOff := e.folded + cu.DevicePtr(4*ll.BOut)
	return e.d.launch(e.stream, kernels.ConvName(e.conv, bm),
		dim{ceilDiv(pixels, kernels.ConvPixelTile), ceilDiv(g.Cout, bm), k}, dim{kernels.ConvThreads(e.conv), 1, 1}, 0,
		in, inSet, wOff, bOff, e.layout.Folded, res, out, e.taps[i],
		b, g.Cin, g.H, g.W, g.Cout, g.OH, g.OW, g.KS, g.Stride, g.Pad, b2i(relu))
}

// blocks is ⌈n / per⌉ capped at 2^20, for the grid-stride kernels (pools).
func blocks(n, per int) int { return max(1, min(ceilDiv(n, per), 1<<20)) }

func ceilDiv(n, d int) int { return (n + d - 1) / d }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
