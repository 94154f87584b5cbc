package train

import (
	"fmt"
	"math"
	"sync"

	"landscape/data"
	"landscape/model"
)

// HVP computes exact Hessian-vector products of the mean cross-entropy over a data set,
//
//	L(θ) = (1/N) Σ_n ℓ(f(x_n; θ), y_n),   H·v = ∇²L(θ)·v,
//
// with respect to every trainable parameter θ (conv and linear weights and biases, batch-norm
// γ and β; in an imported graph also layer-norm γ and β and arithmetic operands: hvp_graph.go
// runs every op kind past the zoo's), with batch norm in evaluation mode: the running statistics are fixed constants,
// so that every image contributes independently and the Hessian is that of the function the
// scan evaluates.
//
// It is Pearlmutter's R-operator, R{·} = d/dr (·)(θ + r·v) at r = 0, carried through the
// forward pass (tangents Ra of every activation) and the backward pass (Rg of every gradient):
// for a layer y = W∗x + b, Ry = W∗Rx + V∗x + V_b, and its backward g_x = Wᵀ∗g_y gives
// Rg_x = Wᵀ∗Rg_y + Vᵀ∗g_y and R{∂L/∂W} = Rg_y ⊗ x + g_y ⊗ Rx; ReLU and max pooling pass tangents
// through their (fixed) masks; the loss gives Rg_z = (1/N)·(diag p − p pᵀ)·Rz with p = softmax z.
// One product costs about three gradient evaluations.
//
// Arithmetic is in T (float32 for use, float64 for the finite-difference checks) within a
// chunk of images; chunk results are accumulated in float64. Chunks run in parallel, one
// goroutine per worker, chunk c on worker c mod workers, the workers' sums added in order: a
// result depends only on θ, v, the data, the chunk size and the number of workers.
type HVP[T Float] struct {
	Model  *model.Net
	Params []model.ParamSpec // the trainable parameters, in state_dict order: the layout of vectors
	offset []int             // start of Params[i] in a vector
	index  map[string]int    // name → index in Params
	dim    int
	set    *data.Set
	chunk  int

	w, v         [][]T // per parameter: θ and the direction of the current product
	wflip, vflip [][]T // per op: same-size convolutions' flipped kernels of θ and of v
	bnMean       map[int][]float64
	bnInv        map[int][]float64 // per batch-norm op: 1/√(running_var + ε)
	workers      []*hvpWorker[T]
}

type hvpWorker[T Float] struct {
	act, ract   [][]T // per slot: activation and its tangent, [C][n][P]
	grad, rgrad [][]T // per slot: ∂L/∂activation and its R{·}, allocated during the backward pass
	free        [][]T
	arg         map[int][]int32
	col, dcol   []T
	tmp, junk   []T
	g, hv       [][]T // per parameter: this chunk's gradient and product
	gAcc, hvAcc []float64
	loss        float64
	dz, rdz     []T
}

// NewHVP prepares products at the weights w (a full state_dict) over the images of set, in
// chunks of up to chunk images on the given number of goroutines.
func NewHVP[T Float](n *model.Net, w *model.Weights, set *data.Set, chunk, workers int) (*HVP[T], error) {
	if in := n.Input(); set.C != in[0] || set.H != in[1] || set.W != in[2] {
		return nil, fmt.Errorf("data %s has %dx%dx%d images, model %s expects %dx%dx%d", set.Name, set.C, set.H, set.W, n.Name, in[0], in[1], in[2])
	}
	if set.N < 1 || set.Classes > n.Classes {
		return nil, fmt.Errorf("data %s: %d images of %d classes for a model with %d outputs", set.Name, set.N, set.Classes, n.Classes)
	}
	if chunk < 1 || workers < 1 {
		return nil, fmt.Errorf("train: chunk %d and workers %d must be positive", chunk, workers)
	}
	if err := checkHVPOps(n); err != nil {
		return nil, err
	}
	h := &HVP[T]{Model: n, index: map[string]int{}, set: set, chunk: min(chunk, set.N),
		bnMean: map[int][]float64{}, bnInv: map[int][]float64{}}
	for _, s := range n.Params {
		if s.Kind.IsParameter() {
			h.index[s.Name] = len(h.Params)
			h.Params = append(h.Params, s)
			h.offset = append(h.offset, h.dim)
			h.dim += model.Numel(s.Shape)
			h.w = append(h.w, make([]T, model.Numel(s.Shape)))
			h.v = append(h.v, make([]T, model.Numel(s.Shape)))
		}
	}
	h.wflip, h.vflip = make([][]T, len(n.Ops)), make([][]T, len(n.Ops))
	for i, op := range n.Ops {
		if g := n.Geom(op); op.Kind == model.OpConv && !graphOp(op) && g.SameSize() && !g.OneByOne() {
			h.wflip[i] = make([]T, g.Cout*g.Cin*g.K*g.K)
			h.vflip[i] = make([]T, g.Cout*g.Cin*g.K*g.K)
		}
	}
	if err := h.SetWeights(w); err != nil {
		return nil, err
	}
	for range min(workers, (set.N+h.chunk-1)/h.chunk) {
		h.workers = append(h.workers, h.newWorker())
	}
	return h, nil
}

// Dim is the number of trainable parameters: the length of the vectors.
func (h *HVP[T]) Dim() int { return h.dim }

// Offset returns where parameter name starts in a vector, or −1.
func (h *HVP[T]) Offset(name string) int {
	if i, ok := h.index[name]; ok {
		return h.offset[i]
	}
	return -1
}

// SetWeights moves θ to w (a full state_dict: the running statistics are taken from it too).
func (h *HVP[T]) SetWeights(w *model.Weights) error {
	if err := h.Model.CheckWeights(w, "weights"); err != nil {
		return err
	}
	for i, s := range h.Params {
		for j, x := range w.Get(s.Name).Data {
			h.w[i][j] = T(x)
		}
	}
	for i, op := range h.Model.Ops {
		if op.Kind == model.OpBatchNorm {
			bn := op.BNEntries()
			rm, rv := w.Get(bn[2]).Data, w.Get(bn[3]).Data
			h.bnMean[i], h.bnInv[i] = make([]float64, len(rm)), make([]float64, len(rv))
			for c := range rm {
				h.bnMean[i][c] = float64(rm[c])
				h.bnInv[i][c] = 1 / math.Sqrt(float64(rv[c])+op.BNEpsilon())
			}
		}
		if h.wflip[i] != nil {
			flipWeights(h.wflip[i], h.w[h.index[op.Weight]], h.Model.Geom(op))
		}
	}
	return nil
}

func (h *HVP[T]) newWorker() *hvpWorker[T] {
	n, b := h.Model, h.chunk
	w := &hvpWorker[T]{act: make([][]T, len(n.Slots)), ract: make([][]T, len(n.Slots)),
		grad: make([][]T, len(n.Slots)), rgrad: make([][]T, len(n.Slots)), arg: map[int][]int32{},
		gAcc: make([]float64, h.dim), hvAcc: make([]float64, h.dim)}
	biggest, cols := 0, 0
	for s, sh := range n.Slots {
		size := sh[0] * sh[1] * sh[2] * b
		w.act[s], w.ract[s] = make([]T, size), make([]T, size)
		biggest = max(biggest, size)
	}
	for i, op := range n.Ops {
		switch op.Kind {
		case model.OpConv:
			if graphOp(op) {
				continue
			}
			g := n.Geom(op)
			cols = max(cols, g.ColSize()*b)
			if g.SameSize() {
				cols = max(cols, flipGeom(g).ColSize()*b)
			}
		case model.OpMaxPool:
			w.arg[i] = make([]int32, len(w.act[op.Out]))
		}
	}
	w.col, w.dcol, w.tmp, w.junk = make([]T, cols), make([]T, cols), make([]T, biggest), make([]T, n.Classes+biggest/b)
	for _, s := range h.Params {
		w.g = append(w.g, make([]T, model.Numel(s.Shape)))
		w.hv = append(w.hv, make([]T, model.Numel(s.Shape)))
	}
	w.dz, w.rdz = make([]T, n.Classes*b), make([]T, n.Classes*b)
	return w
}

// Apply sets hv = H·v and, when grad is not nil, grad = ∇L, and returns L, all at the current
// weights over the whole data set. With v nil it computes only L and the gradient (hv is
// ignored).
func (h *HVP[T]) Apply(v, hv, grad []float64) float64 {
	if (v != nil && (len(v) != h.dim || len(hv) != h.dim)) || (grad != nil && len(grad) != h.dim) {
		panic(fmt.Sprintf("train: HVP.Apply: vectors of %d, %d, %d values for %d parameters", len(v), len(hv), len(grad), h.dim))
	}
	if v != nil {
		for i := range h.Params {
			for j := range h.v[i] {
				h.v[i][j] = T(v[h.offset[i]+j])
			}
		}
		for i, op := range h.Model.Ops {
			if h.vflip[i] != nil {
				flipWeights(h.vflip[i], h.v[h.index[op.Weight]], h.Model.Geom(op))
			}
		}
	}
	chunks := (h.set.N + h.chunk - 1) / h.chunk
	var wg sync.WaitGroup
	for k, w := range h.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loss = 0
			clear(w.gAcc)
			clear(w.hvAcc)
			for c := k; c < chunks; c += len(h.workers) {
				h.run(w, c*h.chunk, min(h.set.N, (c+1)*h.chunk), v != nil)
			}
		}()
	}
	wg.Wait()
	if v != nil {
		clear(hv)
	}
	if grad != nil {
		clear(grad)
	}
	var loss float64
	for _, w := range h.workers {
		loss += w.loss
		for j := range h.dim {
			if v != nil {
				hv[j] += w.hvAcc[j]
			}
			if grad != nil {
				grad[j] += w.gAcc[j]
			}
		}
	}
	return loss / float64(h.set.N)
}

// run adds images [lo, hi)'s loss sum, gradient and (with withV) product to w's accumulators.
func (h *HVP[T]) run(w *hvpWorker[T], lo, hi int, withV bool) {
	n, b := h.Model, hi-lo
	s0 := n.Slots[0]
	P0 := s0[1] * s0[2]
	for i := range b {
		img := h.set.Image(lo + i)
		for c := range s0[0] {
			for p, x := range img[c*P0 : (c+1)*P0] {
				w.act[0][(c*b+i)*P0+p] = T(x)
			}
		}
	}
	clear(w.ract[0][:s0[0]*P0*b])
	for i, op := range n.Ops {
		h.forward(w, i, op, b, withV)
	}
	K, scale := n.Classes, 1/float64(h.set.N)
	labels := h.set.Labels[lo:hi]
	z := w.act[n.Output][:K*b]
	loss, _ := crossEntropy(w.dz, z, labels, K, b, 0, b, scale)
	w.loss += loss
	for i := range w.g {
		clear(w.g[i])
		clear(w.hv[i])
	}
	w.grad[n.Output] = w.alloc(K * b)
	copy(w.grad[n.Output], w.dz[:K*b])
	if withV {
		crossEntropyR(w.rdz, z, w.ract[n.Output][:K*b], K, b, scale)
		w.rgrad[n.Output] = w.alloc(K * b)
		copy(w.rgrad[n.Output], w.rdz[:K*b])
	}
	for i := len(n.Ops) - 1; i >= 0; i-- {
		op := n.Ops[i]
		if w.grad[op.Out] == nil {
			continue
		}
		for _, s := range op.Inputs() {
			if s != 0 && w.grad[s] == nil {
				w.grad[s] = w.alloc(len(w.act[s]) / h.chunk * b)
				if withV {
					w.rgrad[s] = w.alloc(len(w.act[s]) / h.chunk * b)
				}
			}
		}
		h.backward(w, i, op, b, withV)
		w.free = append(w.free, w.grad[op.Out])
		w.grad[op.Out] = nil
		if withV {
			w.free = append(w.free, w.rgrad[op.Out])
			w.rgrad[op.Out] = nil
		}
	}
	for i := range h.Params {
		off := h.offset[i]
		for j, g := range w.g[i] {
			w.gAcc[off+j] += float64(g)
		}
		if withV {
			for j, g := range w.hv[i] {
				w.hvAcc[off+j] += float64(g)
			}
		}
	}
}

func (w *hvpWorker[T]) alloc(n int) []T {
	for k := len(w.free) - 1; k >= 0; k-- {
		if b := w.free[k]; cap(b) >= n {
			w.free = append(w.free[:k], w.free[k+1:]...)
			b = b[:n]
			clear(b)
			return b
		}
	}
	return make([]T, n, len(w.tmp))
}

// param returns θ, v, the gradient and the product buffers of the named parameter (nil for "").
func (h *HVP[T]) param(w *hvpWorker[T], name string) (theta, v, g, hv []T) {
	if name == "" {
		return nil, nil, nil, nil
	}
	i := h.index[name]
	return h.w[i], h.v[i], w.g[i], w.hv[i]
}

func (h *HVP[T]) forward(w *hvpWorker[T], i int, op model.Op, b int, withV bool) {
	n := h.Model
	size := func(s int) int { sh := n.Slots[s]; return sh[0] * sh[1] * sh[2] * b }
	in, out := w.act[op.In][:size(op.In)], w.act[op.Out][:size(op.Out)]
	rin, rout := w.ract[op.In][:size(op.In)], w.ract[op.Out][:size(op.Out)]
	tmp := w.tmp[:len(out)]
	s := n.Slots[op.In]
	P := s[1] * s[2]
	if graphOp(op) {
		h.graphForward(w, i, op, b, withV)
		return
	}
	switch op.Kind {
	case model.OpConv:
		g := n.Geom(op)
		W, V, _, _ := h.param(w, op.Weight)
		B, VB, _, _ := h.param(w, op.Bias)
		convForward(out, in, W, B, g, b, 0, b, w.col)
		if withV { // Ry = W∗Rx + V∗x + V_b
			convForward(rout, in, V, VB, g, b, 0, b, w.col)
			if op.In != 0 {
				convForward(tmp, rin, W, nil, g, b, 0, b, w.col)
				accumulate(rout, tmp)
			}
		}
	case model.OpLinear:
		W, V, _, _ := h.param(w, op.Weight)
		B, VB, _, _ := h.param(w, op.Bias)
		O := n.Slots[op.Out][0]
		linearForward(out, in, W, B, s[0], P, O, b, 0, b)
		if withV {
			linearForward(rout, in, V, VB, s[0], P, O, b, 0, b)
			if op.In != 0 {
				linearForward(tmp, rin, W, nil, s[0], P, O, b, 0, b)
				accumulate(rout, tmp)
			}
		}
	case model.OpBatchNorm:
		G, VG, _, _ := h.param(w, op.BNEntries()[0])
		Bt, VBt, _, _ := h.param(w, op.BNEntries()[1])
		bnEvalForward(out, in, G, Bt, h.bnMean[i], h.bnInv[i], b*P)
		if withV {
			bnEvalForwardR(rout, in, rin, G, VG, VBt, h.bnMean[i], h.bnInv[i], b*P)
		}
	case model.OpReLU:
		relu(out, in)
		if withV {
			clear(rout)
			reluBackward(rout, rin, out) // Ry = Rx·[y > 0]
		}
	case model.OpAdd:
		add(out, in, w.act[op.In2][:len(in)], false)
		if withV {
			add(rout, rin, w.ract[op.In2][:len(in)], false)
		}
	case model.OpMaxPool:
		maxPool(out, in, w.arg[i], s[1], s[2], op.K, 0, s[0]*b)
		if withV {
			gatherPool(rout, rin, w.arg[i], s[1]*s[2], len(out)/(s[0]*b), s[0]*b)
		}
	case model.OpGlobalAvgPool:
		avgPool(out, in, P, 0, s[0]*b)
		if withV {
			avgPool(rout, rin, P, 0, s[0]*b)
		}
	}
}

func (h *HVP[T]) backward(w *hvpWorker[T], i int, op model.Op, b int, withV bool) {
	n := h.Model
	size := func(s int) int { sh := n.Slots[s]; return sh[0] * sh[1] * sh[2] * b }
	in, out := w.act[op.In][:size(op.In)], w.act[op.Out][:size(op.Out)]
	rin := w.ract[op.In][:size(op.In)]
	gIn, gOut, rgIn, rgOut := w.grad[op.In], w.grad[op.Out], w.rgrad[op.In], w.rgrad[op.Out]
	s := n.Slots[op.In]
	P := s[1] * s[2]
	if graphOp(op) {
		h.graphBackward(w, i, op, b, withV)
		return
	}
	switch op.Kind {
	case model.OpConv:
		g := n.Geom(op)
		W, V, gW, hvW := h.param(w, op.Weight)
		_, _, gB, hvB := h.param(w, op.Bias)
		convBackward(gW, gB, gIn, gOut, in, W, h.wflip[i], g, b, 0, b, w.col, w.dcol)
		if withV { // Rg_x = Wᵀ∗Rg_y + Vᵀ∗g_y,  R{∂L/∂W} = Rg_y ⊗ x + g_y ⊗ Rx
			convBackward(hvW, hvB, rgIn, rgOut, in, W, h.wflip[i], g, b, 0, b, w.col, w.dcol)
			if op.In != 0 {
				convBackward(hvW, nil, rgIn, gOut, rin, V, h.vflip[i], g, b, 0, b, w.col, w.dcol)
			}
		}
	case model.OpLinear:
		W, V, gW, hvW := h.param(w, op.Weight)
		_, _, gB, hvB := h.param(w, op.Bias)
		O := n.Slots[op.Out][0]
		if gB == nil {
			gB, hvB = w.junk[:O], w.junk[:O]
		}
		linearBackward(gW, gB, gIn, gOut, in, W, s[0], P, O, b, 0, b)
		if withV {
			linearBackward(hvW, hvB, rgIn, rgOut, in, W, s[0], P, O, b, 0, b)
			if op.In != 0 {
				linearBackward(hvW, w.junk[:O], rgIn, gOut, rin, V, s[0], P, O, b, 0, b)
			}
		}
	case model.OpBatchNorm:
		G, VG, gG, hvG := h.param(w, op.BNEntries()[0])
		_, _, gBt, hvBt := h.param(w, op.BNEntries()[1])
		bnEvalBackward(gIn, gG, gBt, gOut, in, G, h.bnMean[i], h.bnInv[i], b*P)
		if withV {
			bnEvalBackwardR(rgIn, hvG, hvBt, gOut, rgOut, in, rin, G, VG, h.bnMean[i], h.bnInv[i], b*P)
		}
	case model.OpReLU:
		reluBackward(gIn, gOut, out)
		if withV {
			reluBackward(rgIn, rgOut, out)
		}
	case model.OpAdd:
		for _, gs := range [][2][]T{{w.grad[op.In], gOut}, {w.grad[op.In2], gOut}, {rgIn, rgOut}, {w.rgrad[op.In2], rgOut}} {
			if gs[0] != nil && gs[1] != nil {
				accumulate(gs[0], gs[1])
			}
		}
	case model.OpMaxPool:
		if gIn != nil {
			maxPoolBackward(gIn, gOut, w.arg[i], s[1], s[2], op.K, 0, s[0]*b)
			if withV {
				maxPoolBackward(rgIn, rgOut, w.arg[i], s[1], s[2], op.K, 0, s[0]*b)
			}
		}
	case model.OpGlobalAvgPool:
		if gIn != nil {
			avgPoolBackward(gIn, gOut, P, 0, s[0]*b)
			if withV {
				avgPoolBackward(rgIn, rgOut, P, 0, s[0]*b)
			}
		}
	}
}
