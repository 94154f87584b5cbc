package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"

	"landscape/engine"
	"landscape/kernels"
	"landscape/model"
)

// Engine evaluates weight sets of one problem on one GPU. The dataset, θ, δ, η, the fold table
// and the tap tables are uploaded once; each Evaluate sends (α_k, β_k) per point and receives
// per-point sums. Like every engine it is used by one goroutine at a time.
type Engine struct {
	dev     backend
	ordinal int
	p       *engine.Problem
	layout  *Layout
	conv    string // conv kernels' precision: f32, tf32, bf16
	act16   bool   // activations stored as bf16 (bf16 zoo plans, see bf16Activations)
	path    string // conv kernels: fast or reference
	k, b    int    // weight sets and images per launch
	ms      float64
	sync    bool    // wait after every launch (Options.Sync)
	syncMs  float64 // device time of the kernels waited for one by one
	dead    error   // a sticky device error: every later call fails with it

	images, labels   ptr // the whole dataset, resident
	images16         ptr // act16: one batch of images rounded to bf16 (to_bf16), [b][C·H·W]
	theta, dx, dy    ptr // raw vectors
	table            ptr // fold_weights' table
	taps             []ptr
	perms            []ptr // gather_channels' tables of the OpChannels layers (LayerLayout.Perm)
	folded           ptr   // [k][layout.Folded]
	ab               ptr   // [k][2] float32
	lossSum, correct ptr   // [k] float64, [k] int64
	lossSq           ptr   // [k] float64: Σ ℓ² per point (engine.Sums.LossSq)
	bufs             []ptr // plan buffers, [k·b][size]

	graphs *graphCache // CUDA graphs of the batches (cudagraph.go); nil: direct launches
	rec    []launchRec // a batch's launches while recorded for graphs
	record bool
}

// newEngine uploads p to dev and sizes the launches (Options.Points/Images, else free memory).
func newEngine(dev backend, ordinal int, p *engine.Problem, o Options) (*Engine, error) {
	conv, err := kernelPrecision(o.Precision)
	if err != nil {
		return nil, err
	}
	path, err := kernelPath(o.Kernels)
	if err != nil {
		return nil, err
	}
	layout, err := newLayout(p, path == "fast")
	if err != nil {
		return nil, err
	}
	e := &Engine{dev: dev, ordinal: ordinal, p: p, layout: layout, conv: conv, path: path, sync: o.Sync || os.Getenv(SyncEnv) == "1"}
	e.act16 = bf16Activations(conv, p.Plan)
	e.graphs = newGraphCache(dev, e.sync || o.NoGraphs)
	exit, err := dev.enter()
	if err != nil {
		return nil, err
	}
	defer exit()
	if err := e.upload(o); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Engine) upload(o Options) error {
	p, l, d := e.p, e.layout, e.dev
	var err error
	for _, u := range []struct {
		dst *ptr
		src func() (ptr, error)
	}{
		{&e.images, func() (ptr, error) { return upload(d, p.Data.Images) }},
		{&e.labels, func() (ptr, error) { return upload(d, p.Data.Labels) }},
		{&e.theta, func() (ptr, error) { return upload(d, l.ThetaVector(p.Base)) }},
		{&e.dx, func() (ptr, error) { return upload(d, l.RawVector(p.DX)) }},
		{&e.dy, func() (ptr, error) { return upload(d, l.RawVector(p.DY)) }},
		{&e.table, func() (ptr, error) { return upload(d, l.Table) }},
	} {
		if *u.dst, err = u.src(); err != nil {
			return err
		}
	}
	e.taps, e.perms = make([]ptr, len(l.Layers)), make([]ptr, len(l.Layers))
	for i, ll := range l.Layers {
		if ll.Taps != nil {
			if e.taps[i], err = upload(d, ll.Taps); err != nil {
				return err
			}
		}
		if ll.Perm != nil {
			if e.perms[i], err = upload(d, ll.Perm); err != nil {
				return err
			}
		}
	}
	free, err := d.freeMemory()
	if err != nil {
		return err
	}
	k, b := l.Capacity(p, free)
	if o.Points > 0 {
		k = o.Points
	}
	if o.Images > 0 {
		b = o.Images
	}
	if k < 1 || b < 1 {
		return fmt.Errorf("gpu: %s: %d MiB free is too little for one weight set of %s", d.label(), free>>20, p.Net.Name)
	}
	e.k, e.b = k, b
	sizes := []int64{int64(k) * int64(l.Folded) * 4, int64(k) * 8, int64(k) * 8, int64(k) * 8, int64(k) * 8}
	for i, dst := range []*ptr{&e.folded, &e.ab, &e.lossSum, &e.lossSq, &e.correct} {
		if *dst, err = d.alloc(sizes[i]); err != nil {
			return err
		}
	}
	elem := int64(e.actBytes())
	if e.act16 {
		if e.images16, err = d.alloc(int64(b) * int64(p.Data.C*p.Data.H*p.Data.W) * elem); err != nil {
			return err
		}
	}
	for _, size := range p.Plan.Buffers {
		buf, err := d.alloc(int64(k) * int64(b) * int64(size) * elem)
		if err != nil {
			return err
		}
		e.bufs = append(e.bufs, buf)
	}
	return nil
}

// Name implements engine.Engine: "gpu0 (NVIDIA H100 80GB HBM3, tf32)", with ", reference
// kernels" when those run.
func (e *Engine) Name() string {
	prec := map[string]string{"f32": "fp32", "tf32": "tf32", "bf16": "bf16"}[e.conv]
	if e.path == "reference" {
		prec += ", reference kernels"
	}
	return fmt.Sprintf("gpu%d (%s, %s)", e.ordinal, e.dev.label(), prec)
}

// Capacity returns the weight sets and images one launch takes (sched.Capacity).
func (e *Engine) Capacity() (points, images int) { return e.k, e.b }

// Problem returns the problem the engine evaluates (sched.Bound).
func (e *Engine) Problem() *engine.Problem { return e.p }

// LastMilliseconds is the device time of the last Evaluate's last point group.
func (e *Engine) LastMilliseconds() float64 { return e.ms }

// Close implements engine.Engine: it frees the device memory and the context.
func (e *Engine) Close() error {
	if e.dev == nil {
		return nil
	}
	exit, err := e.dev.enter()
	if err != nil {
		return err
	}
	defer exit()
	err = e.dev.close()
	e.dev = nil
	return err
}

// Evaluate implements engine.Engine: the points go through in groups of Capacity's K, the
// images [lo, hi) in batches of B; a group's sums stay on the device until it is done.
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	if e.dev == nil {
		return nil, fmt.Errorf("gpu: engine is closed")
	}
	if e.dead != nil {
		return nil, e.dead
	}
	if lo < 0 || hi > e.p.Data.N || lo > hi {
		return nil, fmt.Errorf("gpu: images [%d, %d) outside the %d of the dataset", lo, hi, e.p.Data.N)
	}
	exit, err := e.dev.enter()
	if err != nil {
		return nil, err
	}
	defer exit()
	out := make([]engine.Sums, len(pts))
	for p0 := 0; p0 < len(pts); p0 += e.k {
		group := pts[p0:min(p0+e.k, len(pts))]
		if err := e.evaluateGroup(ctx, group, lo, hi, out[p0:p0+len(group)]); err != nil {
			var st *StickyError
			if !errors.As(err, &st) && e.dev.sticky(err) {
				err = &StickyError{err}
			}
			if errors.As(err, &st) {
				e.dead = err
			}
			return nil, err
		}
	}
	return out, nil
}

func (e *Engine) evaluateGroup(ctx context.Context, pts []engine.Point, lo, hi int, out []engine.Sums) error {
	k, d := len(pts), e.dev
	e.syncMs, e.record = 0, false
	if err := e.foldPoints(pts); err != nil {
		return err
	}
	for b0 := lo; b0 < hi; b0 += e.b {
		if err := ctx.Err(); err != nil {
			d.wait()
			return err
		}
		if err := e.batch(k, b0, min(e.b, hi-b0)); err != nil {
			return err
		}
	}
	ms, err := d.wait()
	if err != nil {
		return fmt.Errorf("gpu: %s: running the network: %w", d.label(), err)
	}
	e.ms, e.syncMs = ms+e.syncMs, 0
	loss, sq := make([]float64, k), make([]float64, k)
	correct := make([]int64, k)
	if err := d.copyOut(bytesOf(loss), e.lossSum); err != nil {
		return err
	}
	if err := d.copyOut(bytesOf(sq), e.lossSq); err != nil {
		return err
	}
	if err := d.copyOut(bytesOf(correct), e.correct); err != nil {
		return err
	}
	for i := range out {
		out[i] = engine.Sums{Loss: loss[i], Correct: correct[i], LossSq: sq[i]}
	}
	return nil
}

// SumsSquares implements engine.Squares: the loss kernel also sums every image's ℓ² (in
// float64, the same per-image ℓ and the same reduction as the loss sum), so Evaluate's sums
// carry LossSq and a --tolerance scan can run on the GPU.
func (e *Engine) SumsSquares() bool { return true }

// foldPoints copies the points' (α, β) to the device, clears the per-point sums and queues
// fold_weights, which makes every point's folded weight set.
func (e *Engine) foldPoints(pts []engine.Point) error {
	k, d, l := len(pts), e.dev, e.layout
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
	if err := d.copyIn(e.ab, bytesOf(ab)); err != nil {
		return err
	}
	if err := d.zero(e.lossSum, int64(k)*8); err != nil {
		return err
	}
	if err := d.zero(e.lossSq, int64(k)*8); err != nil {
		return err
	}
	if err := d.zero(e.correct, int64(k)*8); err != nil {
		return err
	}
	return launchFoldWeights(e, kFoldWeights, dim{l.Channels, k, 1}, dim{128, 1, 1}, foldWeightsArgs{
		Theta: e.theta, Dx: e.dx, Dy: e.dy, Ab: e.ab, Table: e.table, Layers: cint(len(l.Table) / kernels.FoldFields),
		Folded: e.folded, FoldStride: cint64(l.Folded)})
}

// batch queues the network and the loss for k weight sets on b images from b0, adding to the
// per-point sums: recorded and run as a CUDA graph when graphs are on.
func (e *Engine) batch(k, b0, b int) error {
	data := e.p.Data
	pixels := data.C * data.H * data.W
	e.rec, e.record = e.rec[:0], e.graphs != nil // to_bf16 too is part of the batch's graph
	img := e.images + ptr(4*b0*pixels)
	if e.act16 { // the first layer reads bf16 images like every other layer's input
		if err := launchToBf16(e, kToBf16, dim{blocks(b*pixels, 256), 1, 1}, dim{256, 1, 1}, toBf16Args{
			In: img, Out: e.images16, N: cint64(b * pixels)}); err != nil {
			return err
		}
		img = e.images16
	}
	logits, err := e.forward(k, b, img)
	if err != nil {
		return err
	}
	if e.act16 {
		err = launchCrossEntropyBf16(e, kCrossEntropyBf16, dim{k, 1, 1}, dim{kernels.LossThreads, 1, 1}, crossEntropyBf16Args{
			Logits: logits, Labels: e.labels + ptr(4*b0), B: cint(b), Classes: cint(e.p.Net.Classes),
			LossSum: e.lossSum, LossSq: e.lossSq, Correct: e.correct})
	} else {
		err = launchCrossEntropy(e, kCrossEntropy, dim{k, 1, 1}, dim{kernels.LossThreads, 1, 1}, crossEntropyArgs{
			Logits: logits, Labels: e.labels + ptr(4*b0), B: cint(b), Classes: cint(e.p.Net.Classes),
			LossSum: e.lossSum, LossSq: e.lossSq, Correct: e.correct})
	}
	if err != nil {
		return err
	}
	if e.record {
		e.record = false
		return e.graphs.run(e.dev, e.rec)
	}
	return nil
}

// forward queues the plan for k weight sets on b images starting at img (shared by all sets)
// and returns where the logits will be, [k][b][classes].
func (e *Engine) forward(k, b int, img ptr) (ptr, error) {
	plan := e.p.Plan
	size := func(s [3]int) int { return s[0] * s[1] * s[2] }
	// The images are read where they lie, shared by all weight sets; the plan's input buffer
	// holds them until a layer writes into it.
	imagesIn := func(buf int) bool { return buf == plan.Input }
	for i, pl := range plan.Layers {
		in, inSet := e.bufs[pl.In], b*size(pl.InShape)
		if imagesIn(pl.In) {
			in, inSet = img, 0
		}
		out := e.bufs[pl.Out]
		var err error
		switch {
		case graphOwns(&pl, imagesIn): // imported graphs' layers (graph_engine.go)
			err = e.graphLayer(k, b, i, &pl, img, imagesIn)
		case pl.Kind == model.OpConv || pl.Kind == model.OpLinear:
			var res ptr
			if pl.Residual >= 0 {
				if imagesIn(pl.Residual) {
					return 0, fmt.Errorf("gpu: layer %d adds the network input, which the kernels do not support", i)
				}
				res = e.bufs[pl.Residual]
			}
			err = e.conv2d(k, b, i, in, inSet, res, out, pl.ReLU)
		case pl.Kind == model.OpMaxPool || pl.Kind == model.OpGlobalAvgPool:
			if imagesIn(pl.In) {
				return 0, fmt.Errorf("gpu: layer %d pools the network input, which the kernels do not support", i)
			}
			c, h, w := pl.InShape[0], pl.InShape[1], pl.InShape[2]
			if pl.Kind == model.OpMaxPool && e.act16 {
				total := k * b * size(pl.OutShape)
				err = launchMaxpoolBf16(e, kMaxpoolBf16, dim{blocks(total, 256), 1, 1}, dim{256, 1, 1}, maxpoolBf16Args{
					In: in, Out: out, Images: cint64(k * b), C: cint(c), H: cint(h), W: cint(w), KS: cint(pl.K)})
			} else if pl.Kind == model.OpMaxPool {
				total := k * b * size(pl.OutShape)
				err = launchMaxpool(e, kMaxpool, dim{blocks(total, 256), 1, 1}, dim{256, 1, 1}, maxpoolArgs{
					In: in, Out: out, Images: cint64(k * b), C: cint(c), H: cint(h), W: cint(w), KS: cint(pl.K)})
			} else if e.act16 {
				planes := k * b * c
				err = launchAvgpoolBf16(e, kAvgpoolBf16, dim{blocks(planes, 256), 1, 1}, dim{256, 1, 1}, avgpoolBf16Args{
					In: in, Out: out, Planes: cint64(planes), HW: cint(h * w)})
			} else {
				planes := k * b * c
				err = launchAvgpool(e, kAvgpool, dim{blocks(planes, 256), 1, 1}, dim{256, 1, 1}, avgpoolArgs{
					In: in, Out: out, Planes: cint64(planes), HW: cint(h * w)})
			}
		default:
			err = fmt.Errorf("gpu: layer %d: unsupported %s", i, pl.Kind)
		}
		if err != nil {
			return 0, err
		}
		if pl.Out == plan.Input {
			imagesIn = func(int) bool { return false }
		}
	}
	return e.bufs[plan.Output], nil
}

// conv2d queues plan layer i's convolution (or linear layer) for k weight sets of b images.
func (e *Engine) conv2d(k, b, i int, in ptr, inSet int, res, out ptr, relu bool) error {
	ll := e.layout.Layers[i]
	g := ll.Geom
	bm := kernels.ConvTile(g.Cout)
	prec := e.conv
	if prec == "bf16" && !e.act16 {
		prec = "bf16f" // bf16 operands, float32 activations (plans with graph layers)
	}
	name := kernels.ConvName(prec, bm)
	if ll.TapMajor {
		name = kernels.ConvFastName(prec, bm)
		if e.conv != "f32" && HaloEligible(g, b) && haloAligned(in, inSet, e.actBytes()) {
			name = kernels.ConvHaloName(prec, bm)
		}
	}
	return launchConv(e, convKernel(name),
		dim{ceilDiv(b*g.OH*g.OW, kernels.ConvPixelTile), ceilDiv(g.Cout, bm), k}, dim{kernels.ConvThreads(e.conv), 1, 1},
		convArgs{In: in, InSetStride: cint64(inSet), Weights: e.folded + ptr(4*ll.WOut), Bias: e.folded + ptr(4*ll.BOut),
			WSetStride: cint64(e.layout.Folded), Res: res, Out: out, Taps: e.taps[i],
			B: cint(b), Cin: cint(g.Cin), H: cint(g.H), W: cint(g.W), Cout: cint(g.Cout), OH: cint(g.OH), OW: cint(g.OW),
			KS: cint(g.K), Stride: cint(g.Stride), Pad: cint(g.Pad), Relu: cint(b2i(relu))})
}

// launch queues kernel name on the device; with Options.Sync it waits for it, so that a fault
// is reported with the kernel that caused it, and adds its device time to e.syncMs. While a
// batch is recorded for CUDA graphs it only appends the launch to e.rec.
func (e *Engine) launch(name string, grid, block dim, args ...any) error {
	if e.record { // a batch for graphs: queued by graphCache.run at its end
		e.rec = append(e.rec, launchRec{name, grid, block, args})
		return nil
	}
	if err := e.dev.launch(name, grid, block, args...); err != nil {
		return err
	}
	if !e.sync {
		return nil
	}
	ms, err := e.dev.wait()
	e.syncMs += ms
	if err != nil {
		return fmt.Errorf("gpu: %s: kernel %s (grid %v, block %v) failed: %w", e.dev.label(), name, grid, block, err)
	}
	return nil
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

// bf16Activations tells whether a plan's activations are stored as bf16 (2 bytes) between layers:
// in bf16 precision when every layer runs on the zoo kernels (conv, linear, pools), which read
// and write bf16 (kernels/common.cuh: bf16s). A plan with imported-graph layers keeps float32
// activations (the graph kernels are float32) and runs the bf16f conv kernels: bf16 operands,
// float32 in memory, as before.
func bf16Activations(conv string, plan *model.Plan) bool {
	if conv != "bf16" {
		return false
	}
	imagesIn := func(buf int) bool { return buf == plan.Input } // as forward decides
	for i := range plan.Layers {
		if graphOwns(&plan.Layers[i], imagesIn) {
			return false
		}
		if plan.Layers[i].Out == plan.Input {
			imagesIn = func(int) bool { return false }
		}
	}
	return true
}

// actBytes is the size of one stored activation: 2 (bf16) or 4 (float32).
func (e *Engine) actBytes() int {
	if e.act16 {
		return 2
	}
	return 4
}
