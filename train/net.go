package train

import (
	"fmt"
	"sync"

	"landscape/model"
)

// Param is one state_dict entry of a network being trained: its values and, for trainable
// parameters, the gradient of the last Backward.
type Param[T Float] struct {
	model.ParamSpec
	Data []T
	Grad []T // nil for buffers (running statistics, num_batches_tracked)
}

// Net runs training-mode forward and backward passes of a zoo network over batches of images.
type Net[T Float] struct {
	Model  *model.Net
	Params []*Param[T] // in state_dict order
	byName map[string]*Param[T]

	workers, maxB, b int
	act              [][]T // per slot: [C][b][P]; an in-place op's output shares its input's memory
	size             []int // per slot: C·H·W
	bn               map[int]*bnState
	arg              map[int][]int32 // max-pool argmax per op
	chunk            []int           // per op: images per convolution sub-chunk
	fused            []bool          // per op: a batch norm or add whose ReLU it applies itself
	skip             []bool          // per op: a ReLU applied by the op before it
	wflip            [][]T           // per op: a same-size convolution's flipped kernels
	local            [][][]T         // per worker ≥ 1, per param: private conv/linear gradients
	col, dcol        [][]T           // per worker: im2col scratch
	grad             [][]T           // per slot: ∂L/∂activation during Backward
	free             [][]T
	dz               []T // ∂L/∂logits of the last Forward
	labels           []int32
}

type bnState struct{ mean, invstd []float64 }

// colTarget bounds the im2col scratch of one convolution sub-chunk (elements): a few images
// at a time keep it in cache while the matrix product stays wide.
const colTarget = 1 << 16

// NewNet prepares n for batches of up to maxBatch images on the given number of goroutines,
// starting from the weights w (every entry of n's state_dict, as Net.CheckWeights wants).
func NewNet[T Float](n *model.Net, w *model.Weights, maxBatch, workers int) (*Net[T], error) {
	if err := n.CheckWeights(w, "weights"); err != nil {
		return nil, err
	}
	if maxBatch < 1 || workers < 1 {
		return nil, fmt.Errorf("train: batch size %d and workers %d must be positive", maxBatch, workers)
	}
	t := &Net[T]{Model: n, byName: map[string]*Param[T]{}, workers: workers, maxB: maxBatch,
		bn: map[int]*bnState{}, arg: map[int][]int32{}}
	for _, s := range n.Params {
		p := &Param[T]{ParamSpec: s, Data: make([]T, model.Numel(s.Shape))}
		for i, v := range w.Get(s.Name).Data {
			p.Data[i] = T(v)
		}
		if s.Kind.IsParameter() {
			p.Grad = make([]T, len(p.Data))
		}
		t.Params = append(t.Params, p)
		t.byName[s.Name] = p
	}
	if err := t.layout(); err != nil {
		return nil, err
	}
	return t, nil
}

// layout allocates activations, sharing memory for in-place ops, and the per-op scratch.
func (t *Net[T]) layout() error {
	n := t.Model
	u, err := slotUses(n)
	if err != nil {
		return err
	}
	for _, s := range n.Slots {
		t.size = append(t.size, s[0]*s[1]*s[2])
	}
	t.act = make([][]T, len(n.Slots))
	t.act[0] = make([]T, t.size[0]*t.maxB)
	t.chunk = make([]int, len(n.Ops))
	t.fused, t.skip, t.wflip = make([]bool, len(n.Ops)), make([]bool, len(n.Ops)), make([][]T, len(n.Ops))
	cols := 0
	for i, op := range n.Ops {
		t.placeOutput(i, op, u)
		cols = max(cols, t.opScratch(i, op))
	}
	t.col, t.dcol = make([][]T, t.workers), make([][]T, t.workers)
	for w := range t.workers {
		t.col[w], t.dcol[w] = make([]T, cols), make([]T, cols)
	}
	t.local = make([][][]T, t.workers)
	for w := 1; w < t.workers; w++ {
		t.local[w] = make([][]T, len(t.Params))
		for pi, p := range t.Params {
			if p.Kind == model.KindWeight || p.Kind == model.KindBias {
				t.local[w][pi] = make([]T, len(p.Data))
			}
		}
	}
	t.grad = make([][]T, len(n.Slots))
	t.dz = make([]T, n.Classes*t.maxB)
	return nil
}

// slotUse says, per slot of a model, how many ops read it (consumers), the kind of op that
// writes it (producer) and that op's index (prodOp).
type slotUse struct {
	consumers []int
	producer  []model.OpKind
	prodOp    []int
}

// slotUses finds the readers and writer of every slot of n, and checks that its ops are in
// dependency order (each reads only slots already written, and writes a slot once).
func slotUses(n *model.Net) (slotUse, error) {
	ready := make([]bool, len(n.Slots))
	ready[0] = true
	u := slotUse{make([]int, len(n.Slots)), make([]model.OpKind, len(n.Slots)), make([]int, len(n.Slots))}
	for i, op := range n.Ops {
		if !ready[op.In] || (op.Kind == model.OpAdd && !ready[op.In2]) || ready[op.Out] {
			return u, fmt.Errorf("train: model %s: ops are not in dependency order", n.Name)
		}
		ready[op.Out] = true
		u.consumers[op.In]++
		if op.Kind == model.OpAdd {
			u.consumers[op.In2]++
		}
		u.producer[op.Out] = op.Kind
		u.prodOp[op.Out] = i
	}
	return u, nil
}

// placeOutput gives op i's output slot its memory: its input's for a ReLU or an add that may
// work in place (marking a ReLU after a batch norm or an add as applied by that op), new
// memory otherwise.
func (t *Net[T]) placeOutput(i int, op model.Op, u slotUse) {
	// An elementwise op may overwrite its input when nothing else reads it and the input's
	// producer does not need its own output for the backward pass (only ReLU does).
	inPlace := func(s int) bool { return s != 0 && u.consumers[s] == 1 && u.producer[s] != model.OpReLU }
	switch {
	case op.Kind == model.OpReLU && inPlace(op.In):
		t.act[op.Out] = t.act[op.In]
		// a batch norm or an add then applies the ReLU as it writes its output
		if p := u.prodOp[op.In]; u.producer[op.In] == model.OpBatchNorm || u.producer[op.In] == model.OpAdd {
			t.fused[p], t.skip[i] = true, true
		}
	case op.Kind == model.OpAdd && inPlace(op.In):
		t.act[op.Out] = t.act[op.In]
	case op.Kind == model.OpAdd && inPlace(op.In2):
		t.act[op.Out] = t.act[op.In2]
	default:
		t.act[op.Out] = make([]T, t.size[op.Out]*t.maxB)
	}
}

// opScratch allocates op i's own state (a convolution's sub-chunk size and flipped kernels, a
// batch norm's statistics, a max pool's argmax) and returns the im2col scratch it needs per
// worker.
func (t *Net[T]) opScratch(i int, op model.Op) (cols int) {
	switch op.Kind {
	case model.OpConv:
		g := t.geom(op)
		if g.OneByOne() {
			t.chunk[i] = t.maxB
			return 0
		}
		per := g.ColSize()
		if g.SameSize() {
			per = max(per, flipGeom(g).ColSize())
			t.wflip[i] = make([]T, g.Cout*g.Cin*g.K*g.K)
		}
		t.chunk[i] = max(1, colTarget/per)
		return per * min(t.chunk[i], t.maxB)
	case model.OpBatchNorm:
		c := t.Model.Slots[op.In][0]
		t.bn[i] = &bnState{make([]float64, c), make([]float64, c)}
	case model.OpMaxPool:
		t.arg[i] = make([]int32, t.size[op.Out]*t.maxB)
	}
	return 0
}

func (t *Net[T]) geom(op model.Op) model.ConvGeom { return t.Model.Geom(op) }

// Param returns the entry called name, or nil.
func (t *Net[T]) Param(name string) *Param[T] { return t.byName[name] }

// Weights returns a float32 copy of the current state_dict, in state_dict order.
func (t *Net[T]) Weights() *model.Weights {
	w := model.NewWeights()
	for _, p := range t.Params {
		d := make([]float32, len(p.Data))
		for i, v := range p.Data {
			d[i] = float32(v)
		}
		w.Add(&model.Tensor{Name: p.Name, Shape: append([]int{}, p.Shape...), Data: d})
	}
	return w
}

// SetWeights copies w (every entry of the state_dict) into the network.
func (t *Net[T]) SetWeights(w *model.Weights) error {
	if err := t.Model.CheckWeights(w, "weights"); err != nil {
		return err
	}
	for _, p := range t.Params {
		for i, v := range w.Get(p.Name).Data {
			p.Data[i] = T(v)
		}
	}
	return nil
}

// par runs f over [0, n) split into one contiguous range per worker, inline when the job
// (cost, in elements touched) is too small to be worth a goroutine.
func (t *Net[T]) par(n, cost int, f func(w, lo, hi int)) {
	W := min(t.workers, n)
	if W <= 1 || cost < 1<<14 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < W; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, n*w/W, n*(w+1)/W)
		}()
	}
	f(0, 0, n/W)
	wg.Wait()
}

// Forward runs the network in training mode on a batch: x holds len(labels) images in NCHW
// order. Batch norm normalises by the batch statistics; with update it also updates the
// running statistics and num_batches_tracked, as a PyTorch training step does. It returns the
// summed cross-entropy over the batch and the number of images whose first largest logit is
// the label, and keeps what Backward needs: the gradient is that of the mean loss.
func (t *Net[T]) Forward(x []T, labels []int32, update bool) (lossSum float64, correct int) {
	n, B := t.Model, len(labels)
	if B < 1 || B > t.maxB || len(x) != B*t.size[0] {
		panic(fmt.Sprintf("train: Forward: %d labels and %d inputs for batches of up to %d images of %d values", B, len(x), t.maxB, t.size[0]))
	}
	t.b, t.labels = B, labels
	P0 := n.Slots[0][1] * n.Slots[0][2]
	in := t.act[0]
	for i := range B {
		for c := range n.Slots[0][0] {
			copy(in[(c*B+i)*P0:][:P0], x[(i*n.Slots[0][0]+c)*P0:][:P0])
		}
	}
	for i, op := range n.Ops {
		t.forward(i, op, update)
	}
	K := n.Classes
	type res struct {
		l float64
		c int
	}
	out := make([]res, t.workers)
	t.par(B, B*K*64, func(w, lo, hi int) {
		out[w].l, out[w].c = crossEntropy(t.dz, t.act[n.Output], labels, K, B, lo, hi, 1/float64(B))
	})
	for _, r := range out {
		lossSum += r.l
		correct += r.c
	}
	return lossSum, correct
}

func (t *Net[T]) forward(i int, op model.Op, update bool) {
	B := t.b
	in, out := t.act[op.In][:t.size[op.In]*B], t.act[op.Out][:t.size[op.Out]*B]
	s := t.Model.Slots[op.In]
	P := s[1] * s[2]
	switch op.Kind {
	case model.OpConv:
		g := t.geom(op)
		w, b := t.byName[op.Weight].Data, t.bias(op)
		t.par(B, B*g.ColSize()*g.Cout, func(wk, lo, hi int) {
			for j := lo; j < hi; j += t.chunk[i] {
				convForward(out, in, w, b, g, B, j, min(t.chunk[i], hi-j), t.col[wk])
			}
		})
	case model.OpLinear:
		w, b := t.byName[op.Weight].Data, t.bias(op)
		O := t.Model.Slots[op.Out][0]
		t.par(B, B*len(w), func(_, lo, hi int) { linearForward(out, in, w, b, s[0], P, O, B, lo, hi-lo) })
	case model.OpBatchNorm:
		st := t.bn[i]
		g, b := t.byName[op.Prefix+".weight"].Data, t.byName[op.Prefix+".bias"].Data
		var rm, rv []T
		if update {
			rm, rv = t.byName[op.Prefix+".running_mean"].Data, t.byName[op.Prefix+".running_var"].Data
			t.byName[op.Prefix+".num_batches_tracked"].Data[0]++
		}
		t.par(s[0], len(in)*4, func(_, lo, hi int) {
			bnForward(out, in, g, b, st.mean, st.invstd, rm, rv, op.BNEpsilon(), B*P, lo, hi, t.fused[i])
		})
	case model.OpReLU:
		if !t.skip[i] {
			t.par(len(in), len(in), func(_, lo, hi int) { relu(out[lo:hi], in[lo:hi]) })
		}
	case model.OpAdd:
		in2 := t.act[op.In2][:len(in)]
		t.par(len(in), len(in), func(_, lo, hi int) { add(out[lo:hi], in[lo:hi], in2[lo:hi], t.fused[i]) })
	case model.OpMaxPool:
		t.par(s[0]*B, len(in), func(_, lo, hi int) { maxPool(out, in, t.arg[i], s[1], s[2], op.K, lo, hi) })
	case model.OpGlobalAvgPool:
		t.par(s[0]*B, len(in), func(_, lo, hi int) { avgPool(out, in, P, lo, hi) })
	}
}

func (t *Net[T]) bias(op model.Op) []T {
	if op.Bias == "" {
		return nil
	}
	return t.byName[op.Bias].Data
}

// Backward sets Grad of every parameter to the gradient of the mean cross-entropy of the last
// Forward's batch.
func (t *Net[T]) Backward() {
	n, B := t.Model, t.b
	for _, p := range t.Params {
		clear(p.Grad)
	}
	for w := 1; w < t.workers; w++ {
		for _, g := range t.local[w] {
			clear(g)
		}
	}
	t.grad[n.Output] = t.alloc(n.Classes * B)
	copy(t.grad[n.Output], t.dz[:n.Classes*B])
	for i := len(n.Ops) - 1; i >= 0; i-- {
		op := n.Ops[i]
		if t.grad[op.Out] == nil {
			continue // the output does not reach the loss
		}
		if t.skip[i] { // a fused ReLU: its input's gradient is its output's, masked in place
			g, y := t.grad[op.Out], t.act[op.Out][:len(t.grad[op.Out])]
			t.par(len(g), len(g), func(_, lo, hi int) { reluMask(g[lo:hi], y[lo:hi]) })
			t.grad[op.In], t.grad[op.Out] = g, nil
			continue
		}
		for _, s := range []int{op.In, op.In2} {
			if s != 0 && t.grad[s] == nil && (s == op.In || op.Kind == model.OpAdd) {
				t.grad[s] = t.alloc(t.size[s] * B)
			}
		}
		t.backward(i, op)
		t.free = append(t.free, t.grad[op.Out])
		t.grad[op.Out] = nil
	}
	for pi, p := range t.Params {
		for w := 1; w < t.workers; w++ {
			if l := t.local[w][pi]; l != nil {
				for j, v := range l {
					p.Grad[j] += v
				}
			}
		}
	}
}

// alloc returns a zeroed gradient buffer of n elements from the free list.
func (t *Net[T]) alloc(n int) []T {
	for k := len(t.free) - 1; k >= 0; k-- {
		if b := t.free[k]; cap(b) >= n {
			t.free = append(t.free[:k], t.free[k+1:]...)
			b = b[:n]
			clear(b)
			return b
		}
	}
	return make([]T, n, t.maxB*maxInt(t.size))
}

func maxInt(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// gradOf returns worker w's gradient buffer for the named parameter: the parameter's own
// for worker 0, a private one (summed at the end of Backward) for the others.
func (t *Net[T]) gradOf(w int, name string) []T {
	if name == "" {
		return nil
	}
	p := t.byName[name]
	if w == 0 {
		return p.Grad
	}
	for pi, q := range t.Params {
		if q == p {
			return t.local[w][pi]
		}
	}
	return nil
}

func (t *Net[T]) backward(i int, op model.Op) {
	B := t.b
	in, out := t.act[op.In][:t.size[op.In]*B], t.act[op.Out][:t.size[op.Out]*B]
	dIn, dOut := t.grad[op.In], t.grad[op.Out]
	s := t.Model.Slots[op.In]
	P := s[1] * s[2]
	switch op.Kind {
	case model.OpConv:
		g := t.geom(op)
		w, wf := t.byName[op.Weight].Data, t.wflip[i]
		if wf != nil && dIn != nil {
			flipWeights(wf, w, g)
		}
		t.par(B, B*g.ColSize()*g.Cout, func(wk, lo, hi int) {
			dW, db := t.gradOf(wk, op.Weight), t.gradOf(wk, op.Bias)
			for j := lo; j < hi; j += t.chunk[i] {
				convBackward(dW, db, dIn, dOut, in, w, wf, g, B, j, min(t.chunk[i], hi-j), t.col[wk], t.dcol[wk])
			}
		})
	case model.OpLinear:
		w := t.byName[op.Weight].Data
		O := t.Model.Slots[op.Out][0]
		t.par(B, B*len(w), func(wk, lo, hi int) {
			linearBackward(t.gradOf(wk, op.Weight), t.gradOf(wk, op.Bias), dIn, dOut, in, w, s[0], P, O, B, lo, hi-lo)
		})
	case model.OpBatchNorm:
		st := t.bn[i]
		g := t.byName[op.Prefix+".weight"]
		b := t.byName[op.Prefix+".bias"]
		t.par(s[0], len(in)*4, func(_, lo, hi int) {
			bnBackward(dIn, g.Grad, b.Grad, dOut, in, g.Data, st.mean, st.invstd, B*P, lo, hi)
		})
	case model.OpReLU:
		t.par(len(out), len(out), func(_, lo, hi int) { reluBackward(dIn[lo:hi], dOut[lo:hi], out[lo:hi]) })
	case model.OpAdd:
		dIn2 := t.grad[op.In2]
		t.par(len(out), len(out), func(_, lo, hi int) {
			if dIn != nil {
				accumulate(dIn[lo:hi], dOut[lo:hi])
			}
			if dIn2 != nil {
				accumulate(dIn2[lo:hi], dOut[lo:hi])
			}
		})
	case model.OpMaxPool:
		if dIn != nil {
			t.par(s[0]*B, len(in), func(_, lo, hi int) { maxPoolBackward(dIn, dOut, t.arg[i], s[1], s[2], op.K, lo, hi) })
		}
	case model.OpGlobalAvgPool:
		if dIn != nil {
			t.par(s[0]*B, len(in), func(_, lo, hi int) { avgPoolBackward(dIn, dOut, P, lo, hi) })
		}
	}
}

// MaxBatch is the largest batch the network was prepared for.
func (t *Net[T]) MaxBatch() int { return t.maxB }
