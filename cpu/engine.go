package cpu

import (
	"context"
	"fmt"
	"math"

	"landscape/cpu/gemm"
	"landscape/engine"
	"landscape/model"
)

// Engine evaluates weight sets on batches of images on the calling goroutine. Run several
// (one per core) for parallelism: the scheduler does.
//
// Activations are laid out channel-major over the batch: a slot of shape [C,H,W] holding B
// images is C rows of ld floats, row c holding the planes of the B images one after the other
// (image b's pixel (y, x) at c·ld + b·H·W + y·W + x), with ld ≥ B·H·W a multiple of 16. Each
// convolution is then one matrix product over the whole batch, C_out × (B·OH·OW), computed by
// gemm.Fused with the receptive fields gathered straight from the input rows (implicit GEMM:
// a stride-1 "same" convolution reads row ci shifted by (kh−pad)·W + (kw−pad) under a
// per-tap bit mask that zeroes the padding; a stride-2 one reads the four even/odd phase planes
// of its input the same way) and the folded batch-norm bias, residual and ReLU applied in the
// micro-kernel's store. Other convolutions go through an explicit im2col matrix. Rows are
// padded to a multiple of gemm.FusedMR channels (zero weights) and columns computed up to a
// multiple of gemm.FusedNR, so every tile is whole; the extra rows and columns are never read
// as results. Where the products run on the portable Go kernel, the 3×3 stride-1 convolutions
// are computed by Winograd's F(4×4, 3×3) instead, and with AVX-512 those with enough channels
// and pixels (winograd.go, winograd_vec.go, Options.Winograd). Every buffer
// is allocated by New and reused: Evaluate allocates only its result.
//
// In bfloat16 (Options.BF16) the engine computes as PyTorch's CPU autocast to bfloat16 does a
// convolution or linear layer: the folded weights and the activations entering the layer are
// rounded to bfloat16 (round to nearest even; the activations in place, so that a residual
// branch reading the same activation sees the rounded values, as autocast's bfloat16 tensors
// are), the products are exact and accumulated in float32 (gemm.FusedBF16: AMX tiles where the
// CPU has them; on tiles stride-1 convolutions read their input as bfloat16 channel pairs, which
// the producing convolution stores as it rounds, pairs.go), and bias, residual, activations,
// pooling, the logits and the loss stay in float32.
type Engine struct {
	p        *engine.Problem
	bmax     int  // images per forward pass
	bf16     bool // bfloat16 products (Options.BF16)
	unfused  bool // Options.unfused
	guard    int  // floats before and after the rows of every activation buffer
	bufs     [][]float32
	steps    []step
	tmp      []float32 // phase planes, im2col matrix or transposed linear input
	ws       gemm.Workspace
	cache    []*prepared  // most recently used weight sets, newest last
	pert     []float32    // a perturbed tensor, for folding
	foldPt   engine.Point // the weight set fold is working on
	foldNext int          // the scratch buffer foldGet fills next
	pairBufs [][]uint32   // per activation buffer read by a paired step: its channel pairs
	small    [5][]float32
	logit    []float32
	poolRow  []float32 // maxPoolSeparable's row of column maxima
	dw       dwScratch // depthwise steps' padded planes and output grid (depthwise.go)
	band     []float32 // a band of a poolNext step's output (convpool.go)
	outHW    int       // pixels per image of the network's output slot
	wino     winoScratch
	// keepDenormals: Evaluate leaves the thread's floating-point mode alone (Options.KeepDenormals).
	keepDenormals bool
	// onStep, when set (BenchmarkSteps), is called with i as step i starts and with
	// len(steps) after the last.
	onStep   func(i int)
	grids    map[[3]int]*tileGrid      // tiled steps' grids by (buffer, H, W) (tiles.go)
	act      actStore                  // the activation the product now running applies as it stores
	actBlock func(r0, rows, j0, n int) // act.block, as gemm.Workspace.After
	seRows   []float32                 // fillPairsScaled's two scaled rows (sescale.go)
	seS      []float32                 // scaleBefore's copy of the factors (sescale.go)
	means    []float32                 // the means a depthwise step computes for the pool after it (depthwise.go)
}

// stepKind says how a plan layer is computed.
type stepKind int

const (
	convShift stepKind = iota // stride 1, output the size of the input: shifted rows of the input
	convPhase                 // stride 2, input twice the output: shifted rows of its phase planes
	convCol                   // any other convolution: explicit im2col
	linear                    // fully connected, over the batch
	maxPool
	avgPool
	// layers of imported graphs (ops.go)
	convGroup   // grouped (depthwise) convolution, computed directly
	poolWin     // max or average pool over any window
	elementwise // ReLU, Clip, LeakyReLU, Sigmoid on their own
	affine      // batch norm on its own: per-channel scale and shift, folded per weight set
	add2        // sum of two activations
	mul         // product of two activations, or an activation scaled per channel
	concat      // channels of several activations
	extOp       // OpArith, OpLayerNorm, OpChannels (ops_ext.go)
	attnOp      // OpSoftmax, OpCatTokens, OpPixels, OpArith by a parameter per element (ops_attn.go)
	matmul2     // OpMatMul: a product of two activations (ops_attn.go)
)

type step struct {
	l       model.Layer
	kind    stepKind
	m, k    int // rows (output channels, padded) and inner dimension of the product
	inHW    int // H·W of the input and the output
	outHW   int
	src     gemm.Gathered // B of the product (its Data set by New)
	phases  uint8         // convPhase: bit ph set when this step fills phase plane ph
	fillTmp bool          // convPhase: fill the phase planes (else the previous step did)
	// In bfloat16 (see roundFlags): roundOut, the product rounds its results to bfloat16 as it
	// stores them; inRounded, the input was so rounded and needs no rounding pass.
	roundOut, inRounded bool
	// paired: in bfloat16 on tiles, the product reads its input as channel pairs (pairs.go),
	// from psrc, with an inner dimension of kp; pairsIn, its producer stored them (no packing
	// pass); pairsOut, this product stores its output's pairs; pairsOnly, and nothing else (no
	// step reads its float32 output).
	paired, pairsIn, pairsOut, pairsOnly bool
	psrc                                 gemm.Paired
	kp                                   int
	// tiled: in bfloat16 on AMX, the product reads its input from the grid tgrid through tsrc
	// (tiles.go) instead of pairs, and its residual from resGrid where set; outGrid: a product
	// with pairsOut stores them in this grid.
	tiled                   bool
	tsrc                    gemm.Tiled
	tgrid, outGrid, resGrid *tileGrid
	wino                    bool       // computed by Winograd's F(4×4, 3×3) (winograd.go)
	dw                      *dwConv    // convGroup: the direct kernel's geometry (depthwise.go), or nil: GroupConv
	grp                     *groupPlan // a grouped, not depthwise, convolution's products (groupconv.go)
	// poolNext: the max pool after this product reads its output, and nothing else does; the
	// two run together band by band, bandRows pool rows at a time (convpool.go), and the pool
	// step is pooled (skipped).
	poolNext, pooled bool
	bandRows         int
	// se: this 1×1 convolution scales its input by squeeze-excitation's factors as it reads it
	// (sescale.go), and seFused: this mul step is so fused into the next step, and skipped.
	se      *seScale
	seFused bool
	// meanNext: this depthwise step computes the means of the global average pool step after
	// it, which copies them (meaned) (depthwise.go).
	meanNext, meaned bool
}

type prepared struct {
	pt   engine.Point
	w, b [][]float32        // per plan layer: folded weights [m][k] and biases [m], rows padded with zeros
	bw   []gemm.BF16Weights // in bfloat16: the weights of each gemm product, packed
	wp   [][]float32        // paired steps: w with columns in pair order (pairWeights)
	wu   [][]float32        // Winograd steps: the transformed weights (winoWeights)
	grp  []groupWeights     // grouped steps: the block-diagonal weights of their products (groupconv.go)
}

const cacheSize = 4

// New returns a CPU engine for p with the batch DefaultBatch chooses, in float32. It satisfies
// engine.Factory.
func New(p *engine.Problem) (engine.Engine, error) { return NewWith(p, Options{}) }

// Options choose how an engine computes.
type Options struct {
	Batch int  // images per forward pass (0: DefaultBatch)
	BF16  bool // bfloat16 products accumulated in float32 (see Engine), else float32 throughout
	// Winograd: when 3×3 stride-1 convolutions use Winograd's algorithm (winograd.go); the
	// zero value, on the portable Go kernel and, with AVX-512, on the layers winoVecPays
	// chooses (unless $LANDSCAPE_CPU_WINOGRAD is 0).
	Winograd WinogradUse
	// KeepDenormals: compute with IEEE subnormal numbers rather than flush them to zero (the
	// default, unless $LANDSCAPE_CPU_DENORMALS is "keep": denormals.go).
	KeepDenormals bool
	// unfused: activations and squeeze-excitation scales in passes of their own, as before they
	// were fused into the products (actstore.go): the reference the tests compare with.
	unfused bool
}

// NewWith returns a CPU engine for p with options o.
func NewWith(p *engine.Problem, o Options) (*Engine, error) {
	batch := o.Batch
	if batch == 0 {
		batch = winoVecBatch(p.Plan, o) // DefaultBatch, or more for Winograd's weights
	}
	e, err := NewBatch(p, batch)
	if err != nil {
		return nil, err
	}
	e.bf16, e.unfused = o.BF16, o.unfused
	e.keepDenormals = o.KeepDenormals || keepDenormals()
	if e.bf16 {
		e.roundFlags()
		e.roundPooled()
		e.pairSteps()
	}
	e.planWinograd(o)
	e.planSE()
	e.planMeans()
	e.planDWRound()
	return e, nil
}

// roundFlags moves the bfloat16 rounding of a product's input into the product that wrote it,
// where that gives the same numbers: a gemm product whose output is first read, by any later
// step, as the input of a product (which would round it in place before anything else saw it).
// The rounding then happens in the producer's store (after its activation, which it applies as
// it stores: actstore.go), with no pass over the activation, and every product reading a buffer
// last written by such a producer skips its rounding pass.
func (e *Engine) roundFlags() {
	for i := range e.steps {
		st := &e.steps[i]
		if !st.fused() || st.l.HasAct && e.unfused {
			continue
		}
		for j := i + 1; j < len(e.steps); j++ {
			nx := &e.steps[j]
			if nx.reads(st.l.Out) {
				st.roundOut = nx.product() && nx.l.In == st.l.Out
				break
			}
			if nx.l.Out == st.l.Out {
				break // overwritten unread
			}
		}
	}
	writer := map[int]*step{}
	for i := range e.steps {
		st := &e.steps[i]
		if w := writer[st.l.In]; w != nil && w.roundOut && st.product() {
			st.inRounded = true
		}
		writer[st.l.Out] = st
	}
}

// fused reports whether the step is one gemm product (Workspace.Fused).
func (st *step) fused() bool {
	switch st.kind {
	case convShift, convPhase, convCol, linear:
		return st.grp == nil
	}
	return false
}

// reads reports whether the step reads buffer buf.
func (st *step) reads(buf int) bool {
	l := &st.l
	if l.In == buf || l.Residual == buf {
		return true
	}
	switch st.kind {
	case add2, mul, matmul2:
		return l.In2 == buf
	case concat:
		for _, b := range l.Ins {
			if b == buf {
				return true
			}
		}
	}
	return false
}

// KernelName names the micro-kernels an engine with options o computes its products with
// (gemm.BF16KernelName or gemm.KernelName: surface.Settings.CPUKernel), with "+winograd"
// where its 3×3 stride-1 convolutions use Winograd's algorithm (winograd.go; with AVX-512, on
// the layers winoVecPays chooses: "avx512+winograd").
func KernelName(o Options) string {
	if o.BF16 {
		return gemm.BF16KernelName()
	}
	if o.winograd() {
		return gemm.KernelName() + "+winograd"
	}
	return gemm.KernelName()
}

// PlanKernelName is KernelName for engines computing plan: "+winograd" only where at least one
// of its layers is computed by Winograd's algorithm (what a run's records name).
func PlanKernelName(plan *model.Plan, o Options) string {
	if !o.BF16 && o.winograd() && !planWinograd(plan, o) {
		return gemm.KernelName()
	}
	return KernelName(o)
}

// DefaultBatch returns the number of images an engine from New pushes through the network at
// once: as many as keep the largest activation of the batch within 512 KiB (half the L2 cache
// of the machine this was tuned on; 8 for the CIFAR ResNets), from 1 to 32, and at least as
// many as give the spatial convolution with the fewest output pixels 160 columns (4 for ImageNet
// networks, whose 7×7 layers would otherwise run at 49 of 64 columns and read their weights,
// 9 MB in resnet18, once per image: its float32 CPU time fell by about 10%, bf16 unchanged).
// On one core every batch from 2 to 32 measured the same on resnet20 and resnet56
// (bench.BenchmarkCPUBatch).
func DefaultBatch(plan *model.Plan) int {
	largest := 1
	for _, n := range plan.Buffers {
		largest = max(largest, n)
	}
	fewest := 0
	for _, l := range plan.Layers {
		hw := l.OutShape[1] * l.OutShape[2]
		if l.Kind == model.OpConv && hw > 1 && (fewest == 0 || hw < fewest) { // not squeeze-excitation's 1×1
			fewest = hw
		}
	}
	batch := (512 << 10) / (4 * largest)
	if fewest > 0 {
		batch = max(batch, (160+fewest-1)/fewest)
	}
	return min(32, max(1, batch))
}

// NewBatch returns a CPU engine that pushes batch images at a time through the network.
func NewBatch(p *engine.Problem, batch int) (*Engine, error) {
	if batch < 1 {
		return nil, fmt.Errorf("cpu: batch %d < 1", batch)
	}
	e := &Engine{p: p, bmax: batch}
	if err := e.planSteps(); err != nil {
		return nil, err
	}
	e.allocBuffers()
	tmp := e.planGathers()
	e.sharePhasePlanes()
	if err := e.allocScratch(tmp); err != nil {
		return nil, err
	}
	e.allocLayerScratch()
	e.planConvPool()
	o := p.Net.Slots[p.Net.Output]
	e.outHW = o[1] * o[2]
	return e, nil
}

// planSteps makes one step per layer of the plan, choosing how each is computed (newStep),
// and sets e.guard: 16 floats, or more where a shifted convolution reads further beyond its
// rows.
func (e *Engine) planSteps() error {
	e.guard = 16
	for i, l := range e.p.Plan.Layers {
		st, err := newStep(i, l, e.p.Net)
		if err != nil {
			return err
		}
		if st.kind == convShift || st.kind == convPhase {
			lo, hi := st.shiftRange()
			e.guard = max(e.guard, roundUp(max(-lo, hi), 16))
		}
		e.steps = append(e.steps, st)
	}
	return nil
}

// newStep returns the step that computes layer i, l, of net: its kind (the algorithm) and, for
// the products, the rows m (padded to gemm.FusedMR) and inner dimension k of the weights.
// A convolution runs as shifted rows (convShift) where it keeps the size of its input with a
// square kernel, on phase planes (convPhase) where it halves it with stride 2, as a grouped
// convolution, or else on gathered im2col rows (convCol).
func newStep(i int, l model.Layer, net *model.Net) (step, error) {
	st := step{l: l, inHW: l.InShape[1] * l.InShape[2], outHW: l.OutShape[1] * l.OutShape[2]}
	switch l.Kind {
	case model.OpConv:
		l = squareWindow(l)
		st.l = l
		win := l.Window()
		st.m = roundUp(l.Cout(), gemm.FusedMR)
		st.k = l.InShape[0] * win.KH * win.KW
		simple := l.Win.KH == 0 || l.K > 0 // square kernel, symmetric padding: K, Stride, Pad
		switch {
		case l.Groups > 1 && !gemmGrouped(&l):
			st.kind, st.m, st.k = convGroup, l.Cout(), st.k/l.Groups
			st.dw = newDWConv(&l)
		case simple && l.Stride == 1 && l.OutShape[1] == l.InShape[1] && l.OutShape[2] == l.InShape[2]:
			st.kind = convShift
		case simple && l.Stride == 2 && l.InShape[1] == 2*l.OutShape[1] && l.InShape[2] == 2*l.OutShape[2]:
			st.kind = convPhase
		default:
			st.kind = convCol
		}
		if gemmGrouped(&l) {
			st.k, st.grp = st.k/l.Groups, newGroupPlan(&l)
		}
	case model.OpLinear:
		st.kind = linear
		st.m = roundUp(l.Cout(), gemm.FusedMR)
		st.k = l.InShape[0] * l.InShape[1] * l.InShape[2]
	case model.OpMaxPool:
		st.kind = maxPool
		if l.Win.KH > 0 {
			st.kind = poolWin
		}
	case model.OpAvgPool:
		st.kind = poolWin
	case model.OpGlobalAvgPool:
		st.kind = avgPool
	case model.OpArith, model.OpLayerNorm, model.OpChannels:
		st.kind, st.m, st.k = extOp, l.VectorLen(net), 1
		if l.Kind == model.OpArith && (st.m > l.OutShape[0] || l.Perm != nil) {
			st.kind = attnOp // a position embedding: one value per element
		}
	case model.OpSoftmax, model.OpCatTokens, model.OpPixels:
		st.kind, st.m, st.k = attnOp, l.VectorLen(net), 1
	case model.OpMatMul:
		st.kind = matmul2
	case model.OpBatchNorm:
		st.kind, st.m, st.k = affine, l.OutShape[0], 1
	case model.OpAdd:
		st.kind = add2
	case model.OpMul:
		st.kind = mul
	case model.OpConcat:
		st.kind = concat
	default:
		if l.Kind != model.OpReLU && !l.Kind.IsActivation() {
			return step{}, fmt.Errorf("cpu: layer %d: unsupported kind %v", i, l.Kind)
		}
		st.kind = elementwise
	}
	return st, nil
}

// allocBuffers makes the activation buffers: each as large as the largest slot it holds
// (rows padded to gemm.FusedMR, each row e.ld(H·W) floats), with e.guard floats before and
// after.
func (e *Engine) allocBuffers() {
	plan := e.p.Plan
	size := make([]int, len(plan.Buffers))
	use := func(buf int, shape [3]int) {
		size[buf] = max(size[buf], roundUp(shape[0], gemm.FusedMR)*e.ld(shape[1]*shape[2]))
	}
	use(plan.Input, e.p.Net.Input())
	for _, st := range e.steps {
		use(st.l.In, st.l.InShape)
		use(st.l.Out, st.l.OutShape)
		if st.l.Residual >= 0 {
			use(st.l.Residual, st.l.OutShape)
		}
	}
	for i := range size {
		e.bufs = append(e.bufs, make([]float32, size[i]+2*e.guard))
	}
}

// planGathers sets the gathered source (st.src) of each product step that reads one, sharing
// equal mask tables between steps, and returns how many floats of scratch (e.tmp) the
// sources that read a copy need: the phase planes of convPhase, the im2col rows of convCol
// and the flattened input of a linear layer over a spatial input. Those sources' Data is
// set by allocScratch; the others read their input buffer in place.
func (e *Engine) planGathers() int {
	masks := map[[6]int][]uint16{}
	tmp := 0
	for i := range e.steps {
		st := &e.steps[i]
		l := &st.l
		ldIn, ldOut := e.ld(st.inHW), e.ld(st.outHW)
		switch st.kind {
		case convShift:
			st.src = e.shiftSource(l, masks, 1, ldIn, func(ci, kh, kw int) (int, int) {
				d := dilation(l)
				return ci * ldIn, (kh*d-l.Pad)*l.InShape[2] + kw*d - l.Pad
			})
			st.src.Data = e.bufs[l.In]
		case convPhase:
			cin, ow := l.InShape[0], l.OutShape[2]
			st.src = e.shiftSource(l, masks, 2, ldOut, func(ci, kh, kw int) (int, int) {
				ry, dy := splitPhase(kh - l.Pad)
				rx, dx := splitPhase(kw - l.Pad)
				ph := 2*ry + rx
				st.phases |= 1 << ph
				return (ph*cin + ci) * ldOut, dy*ow + dx
			})
			tmp = max(tmp, 4*cin*ldOut+2*e.guard)
		case convCol:
			k := st.srcK()
			st.src = e.rowsSource(k, 0, ldOut, masks)
			tmp = max(tmp, k*ldOut)
		case linear:
			if st.inHW == 1 {
				st.src = e.rowsSource(st.k, e.guard, ldIn, masks)
				st.src.Data = e.bufs[l.In]
			} else {
				ld1 := e.ld(1)
				st.src = e.rowsSource(st.k, 0, ld1, masks)
				tmp = max(tmp, st.k*ld1)
			}
		}
	}
	return tmp
}

// sharePhasePlanes marks which convPhase steps fill the phase planes (fillTmp): of steps
// reading the same phase planes, the first fills them all (the union of their phases).
// Sharing stops at a step that writes the input buffer or uses e.tmp for something else.
func (e *Engine) sharePhasePlanes() {
	for i := range e.steps {
		st := &e.steps[i]
		if st.kind != convPhase {
			continue
		}
		st.fillTmp = true
		for j := i - 1; j >= 0; j-- {
			prev := &e.steps[j]
			if prev.kind == convPhase && prev.l.In == st.l.In && prev.l.InShape == st.l.InShape {
				f := j
				for !e.steps[f].fillTmp {
					f--
				}
				e.steps[f].phases |= st.phases
				st.fillTmp = false
				break
			}
			if prev.l.Out == st.l.In || tmpUser(prev.kind, prev.inHW) {
				break
			}
		}
	}
}

// allocScratch makes e.tmp, tmp floats, and points the gathered sources that read a copy at
// it. It refuses a batch whose buffers the gathers' 32-bit offsets cannot reach.
func (e *Engine) allocScratch(tmp int) error {
	largest := tmp
	for _, b := range e.bufs {
		largest = max(largest, len(b))
	}
	if largest > math.MaxInt32 {
		return fmt.Errorf("cpu: %d images of %s need buffers of %d floats, more than the gathers' 32-bit offsets reach", e.bmax, e.p.Net.Name, largest)
	}
	e.tmp = make([]float32, tmp)
	for i := range e.steps {
		st := &e.steps[i]
		if st.kind == convPhase || st.kind == convCol || st.kind == linear && st.inHW > 1 {
			st.src.Data = e.tmp
		}
	}
	return nil
}

// allocLayerScratch makes the per-layer scratch: e.pert for the largest perturbed tensor
// (foldGet's first), e.small for the per-channel tensors a fold perturbs after it (bias,
// batch-norm parameters; as long as the most output channels of a layer that has them),
// e.logit for one image's logits and e.poolRow for the widest input row of a windowed pool.
func (e *Engine) allocLayerScratch() {
	p := e.p
	maxW, maxB := 0, 0
	for _, l := range p.Plan.Layers {
		if l.Kind == model.OpConv || l.Kind == model.OpLinear || l.Kind == model.OpBatchNorm || l.Kind == model.OpLayerNorm {
			maxB = max(maxB, l.Cout())
		}
	}
	for _, t := range p.Base.Tensors {
		maxW = max(maxW, len(t.Data))
	}
	e.pert = make([]float32, maxW)
	for i := range e.small {
		e.small[i] = make([]float32, maxB)
	}
	e.logit = make([]float32, p.Net.Classes)
	for _, st := range e.steps {
		if st.kind == poolWin {
			e.poolRow = make([]float32, max(len(e.poolRow), poolRowLen(st.l.InShape[2], st.l.Window())))
		}
		if st.dw != nil {
			e.dw.alloc(st.dw, e.bmax)
		}
	}
}

// product reports whether the step multiplies weights by activations (a convolution or a
// linear layer): the steps whose operands bfloat16 rounds.
func (st *step) product() bool {
	switch st.kind {
	case convShift, convPhase, convCol, linear, convGroup:
		return true
	}
	return false
}

// tmpUser reports whether a step of this kind overwrites e.tmp.
func tmpUser(k stepKind, inHW int) bool {
	return k == convPhase || k == convCol || k == linear && inHW > 1
}

// splitPhase writes t = 2·d + r with r ∈ {0, 1}.
func splitPhase(t int) (r, d int) { return t & 1, t >> 1 }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// ld is the row length of a slot of hw pixels per image: the batch's planes rounded up to a
// multiple of 16 floats, and not a multiple of 4 KiB (rows that far apart share cache sets).
func (e *Engine) ld(hw int) int {
	ld := roundUp(e.bmax*hw, 16)
	if ld%1024 == 0 {
		ld += 16
	}
	return ld
}

// shiftRange returns the smallest and largest shift (in floats, within an input row) that a
// convShift or convPhase step reads.
func (st *step) shiftRange() (lo, hi int) {
	l := &st.l
	for _, k := range []int{0, l.K - 1} {
		t := k*dilation(l) - l.Pad
		var s int
		if st.kind == convShift {
			s = t*l.InShape[2] + t
		} else {
			_, d := splitPhase(t)
			s = d*l.OutShape[2] + d
		}
		lo, hi = min(lo, s), max(hi, s)
	}
	return lo, hi
}

// shiftSource builds the Gathered B of a shifted convolution: row (ci, kh, kw) reads the
// window at guard + base + shift of the source (base, shift = at(ci, kh, kw)), masked where
// output pixel (oh, ow) would read input pixel (oh·stride+kh·d−pad, ow·stride+kw·d−pad)
// outside the image (d the dilation). Masks are shared between steps of the same geometry.
func (e *Engine) shiftSource(l *model.Layer, cache map[[6]int][]uint16, stride, ld int, at func(ci, kh, kw int) (base, shift int)) gemm.Gathered {
	oh, ow, h, w, d := l.OutShape[1], l.OutShape[2], l.InShape[1], l.InShape[2], dilation(l)
	words := ld / 16
	key := [6]int{stride, l.K, l.Pad, h, w, d}
	masks, ok := cache[key]
	if !ok {
		masks = make([]uint16, l.K*l.K*words)
		for kh := range l.K {
			for kw := range l.K {
				m := masks[(kh*l.K+kw)*words:][:words]
				for q := range e.bmax * oh * ow {
					pos := q % (oh * ow)
					y, x := pos/ow*stride+kh*d-l.Pad, pos%ow*stride+kw*d-l.Pad
					if y >= 0 && y < h && x >= 0 && x < w {
						m[q/16] |= 1 << (q % 16)
					}
				}
			}
		}
		cache[key] = masks
	}
	k := l.InShape[0] * l.K * l.K
	g := gemm.Gathered{Off: make([]int32, k), Mask: make([]int32, k), Masks: masks}
	for ci := range l.InShape[0] {
		for kh := range l.K {
			for kw := range l.K {
				p := (ci*l.K+kh)*l.K + kw
				base, shift := at(ci, kh, kw)
				g.Off[p] = int32(e.guard + base + shift)
				g.Mask[p] = int32((kh*l.K + kw) * words)
			}
		}
	}
	return g
}

// rowsSource builds a Gathered B whose row p is the whole window at first + p·ld.
func (e *Engine) rowsSource(k, first, ld int, cache map[[6]int][]uint16) gemm.Gathered {
	key := [6]int{0, 0, 0, 0, ld, 0}
	masks, ok := cache[key]
	if !ok {
		masks = make([]uint16, ld/16)
		for i := range masks {
			masks[i] = 0xffff
		}
		cache[key] = masks
	}
	g := gemm.Gathered{Off: make([]int32, k), Mask: make([]int32, k), Masks: masks}
	for p := range k {
		g.Off[p] = int32(first + p*ld)
	}
	return g
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return "cpu" }

// Problem returns the problem the engine evaluates (sched.Bound).
func (e *Engine) Problem() *engine.Problem { return e.p }

// Close implements engine.Engine.
func (e *Engine) Close() error { return nil }

// Capacity implements sched.Capacity: one point per task, 64 images (at least 2 batches):
// tasks small enough to keep both cores busy to the end of short scans, large enough that
// the scheduler's locking does not count.
func (e *Engine) Capacity() (points, images int) { return 1, max(64, 2*e.bmax) }

// fold writes the weights and bias of layer l at pt, batch norm folded in (model.Layer.Fold),
// into w [m][k] and b [m]; rows from Cout on stay zero. The perturbed entries go to the
// engine's scratch buffers, in the order Fold asks for them.
func (e *Engine) fold(st *step, pt engine.Point, w, b []float32) {
	l := &st.l
	e.foldPt, e.foldNext = pt, 0
	if st.kind == affine {
		l.Affine(e.foldGet, w[:l.Cout()], b[:l.Cout()])
		return
	}
	if st.kind == extOp || st.kind == attnOp {
		l.Vectors(e.foldGet, w[:st.m], b[:st.m])
		return
	}
	n := len(e.p.Base.Tensors[l.Weight].Data)
	l.Fold(e.foldGet, w[:n], b[:l.Cout()])
}

// foldGet gives Fold the entries of the weight set at e.foldPt, each in the next scratch buffer.
func (e *Engine) foldGet(name string) []float32 {
	dst := e.pert
	if e.foldNext > 0 {
		dst = e.small[e.foldNext-1]
	}
	e.foldNext++
	return e.p.Perturb(name, e.foldPt, dst)
}

func (e *Engine) prepare(pt engine.Point) *prepared {
	for i, c := range e.cache {
		if c.pt == pt {
			copy(e.cache[i:], e.cache[i+1:])
			e.cache[len(e.cache)-1] = c
			return c
		}
	}
	var s *prepared
	if len(e.cache) == cacheSize {
		s = e.cache[0]
		copy(e.cache, e.cache[1:])
		e.cache = e.cache[:cacheSize-1]
	} else {
		n := len(e.steps)
		s = &prepared{w: make([][]float32, n), b: make([][]float32, n), bw: make([]gemm.BF16Weights, n), wp: make([][]float32, n), wu: make([][]float32, n), grp: make([]groupWeights, n)}
		for i, st := range e.steps {
			if st.m > 0 {
				s.w[i] = make([]float32, st.m*st.k)
				s.b[i] = make([]float32, st.m)
			}
			if st.paired || st.tiled {
				s.wp[i] = make([]float32, st.m*st.kp)
			}
		}
	}
	s.pt = pt
	for i := range e.steps {
		if st := &e.steps[i]; st.m > 0 {
			e.fold(st, pt, s.w[i], s.b[i])
			if st.wino {
				s.wu[i] = winoWeights(st, s.wu[i], s.w[i])
			}
			if e.bf16 && st.product() {
				gemm.RoundBF16s(s.w[i])
				switch {
				case st.tiled:
					tileWeights(st, s.wp[i], s.w[i])
					s.bw[i].Pack(st.m, st.kp, s.wp[i], st.kp)
				case st.paired:
					pairWeights(st, s.wp[i], s.w[i])
					s.bw[i].Pack(st.m, st.kp, s.wp[i], st.kp)
				case st.kind != convGroup && st.grp == nil:
					s.bw[i].Pack(st.m, st.k, s.w[i], st.k)
				}
			}
			if st.grp != nil {
				st.grp.weights(&s.grp[i], s.w[i], e.bf16)
			}
		}
	}
	e.cache = append(e.cache, s)
	return s
}

// SumsSquares implements engine.Squares: Evaluate's sums carry Σ loss².
func (e *Engine) SumsSquares() bool { return true }

// Evaluate implements engine.Engine, its thread flushing subnormals to zero unless the engine
// keeps them (denormals.go).
func (e *Engine) Evaluate(ctx context.Context, pts []engine.Point, lo, hi int) ([]engine.Sums, error) {
	defer restoreDenormals(flushDenormals(e.keepDenormals))
	out := make([]engine.Sums, len(pts))
	d := e.p.Data
	for k, pt := range pts {
		ws := e.prepare(pt)
		for first := lo; first < hi; first += e.bmax {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			nb := min(e.bmax, hi-first)
			logits, ld := e.forward(ws, first, nb)
			hw := e.outHW
			for b := range nb {
				for i := range e.logit {
					// Logit i is element i of the image's output in [C,H,W] order.
					e.logit[i] = logits[i/hw*ld+b*hw+i%hw]
				}
				loss, ok := engine.CrossEntropy(e.logit, d.Labels[first+b])
				out[k].Loss += loss
				out[k].LossSq += loss * loss
				if ok {
					out[k].Correct++
				}
			}
		}
	}
	return out, nil
}

// loadImages copies images first..first+nb-1 into the plan's input buffer, channel c of image
// b at c·ld + b·H·W.
func (e *Engine) loadImages(first, nb int) {
	d := e.p.Data
	hw := d.H * d.W
	in, ld := e.bufs[e.p.Plan.Input][e.guard:], e.ld(hw)
	for b := range nb {
		img := d.Image(first + b)
		for c := range d.C {
			copy(in[c*ld+b*hw:][:hw], img[c*hw:(c+1)*hw])
		}
	}
}

// forward runs the plan on images first..first+nb-1 and returns the logits, image b's
// class c at logits[c·ld+b] (valid until the next call).
func (e *Engine) forward(ws *prepared, first, nb int) (logits []float32, ld int) {
	plan := e.p.Plan
	g := e.guard
	e.loadImages(first, nb)
	for i := range e.steps {
		if e.onStep != nil {
			e.onStep(i)
		}
		st := &e.steps[i]
		if st.pooled || st.seFused {
			continue // computed with its input (convpool.go) or by the next step (sescale.go)
		}
		l := &st.l
		ldIn, ldOut := e.ld(st.inHW), e.ld(st.outHW)
		in, out := e.inputOf(st), e.bufs[l.Out][g:]
		var res []float32
		if l.Residual >= 0 {
			res = e.bufs[l.Residual][g:]
		}
		if e.bf16 && st.product() && !st.inRounded && st.se == nil {
			for c := range l.InShape[0] {
				gemm.RoundBF16s(in[c*ldIn:][:nb*st.inHW])
			}
		}
		switch st.kind {
		case convShift, convPhase, convCol, linear:
			switch {
			case st.kind == convPhase && st.fillTmp && !st.tiled:
				e.phasePlanes(st, in, ldIn, ldOut, nb)
			case st.kind == convCol:
				e.im2col(st, in, ldIn, ldOut, nb)
			case st.kind == linear && st.inHW > 1:
				e.flatten(st, in, ldIn, nb)
			}
			if st.grp != nil {
				e.groupProducts(st, &ws.grp[i], ws.b[i], out, res, ldOut, nb)
				continue
			}
			if st.poolNext {
				pl := &e.steps[i+1]
				e.forwardConvPool(i, ws, e.bufs[pl.l.Out][g:], e.ld(pl.outHW), nb)
				continue
			}
			n := roundUp(nb*st.outHW, gemm.FusedNR)
			stored := e.storeAct(st, out, ldOut, nb*st.outHW)
			e.scaleBefore(st, in, ldIn, nb)
			switch {
			case st.wino:
				e.winograd(st, ws.wu[i], ws.b[i], in, out, res, ldIn, ldOut, nb)
			case e.bf16:
				e.productBF16(st, &ws.bw[i], n, in, out, ws.b[i], res, ldIn, ldOut, nb)
			default:
				e.ws.Fused(st.m, n, st.k, ws.w[i], st.k, &st.src, out, ldOut, ws.b[i], res, ldOut, l.ReLU)
			}
			e.clearAct()
			if !stored {
				activateRows(l, out, ldOut, nb*st.outHW)
			}
		case maxPool:
			c, h, w := l.InShape[0], l.InShape[1], l.InShape[2]
			for ch := range c {
				for b := range nb {
					MaxPool(out[ch*ldOut+b*st.outHW:], in[ch*ldIn+b*st.inHW:], 1, h, w, l.K)
				}
			}
		case avgPool:
			e.globalPool(st, in, out, ldIn, ldOut, nb)
		default:
			e.forwardGraphOp(st, ws.w[i], ws.b[i], in, out, res, ldIn, ldOut, nb)
		}
	}
	if e.onStep != nil {
		e.onStep(len(e.steps))
	}
	return e.bufs[plan.Output][g:], e.ld(e.outHW)
}

// globalPool computes a global average pool step: image b's mean of channel c at c·ldOut + b,
// copied from e.means where the depthwise step before computed them (meaned).
func (e *Engine) globalPool(st *step, in, out []float32, ldIn, ldOut, nb int) {
	for ch := range st.l.InShape[0] {
		if st.meaned {
			copy(out[ch*ldOut:][:nb], e.means[ch*ldOut:][:nb])
			continue
		}
		for b := range nb {
			out[ch*ldOut+b] = meanRow(in[ch*ldIn+b*st.inHW:][:st.inHW])
		}
	}
}

// forwardGraphOp computes a step of a layer kind only imported graphs use (ops.go), row by
// row of the batch layout: channel c of image b at c·ld + b·H·W.
func (e *Engine) forwardGraphOp(st *step, w, b, in, out, res []float32, ldIn, ldOut, nb int) {
	l := &st.l
	n := nb * st.outHW // floats of a row that hold results
	switch st.kind {
	case convGroup:
		if st.dw != nil {
			e.depthwise(st, w, b, in, out, res, ldIn, ldOut, nb)
			return
		}
		for img := range nb {
			GroupConv(out[img*st.outHW:], in[img*st.inHW:], w, b, l.InShape, l.OutShape, l.Window(), l.Groups, ldIn, ldOut)
		}
		for c := range l.Cout() {
			var r []float32
			if res != nil {
				r = res[c*ldOut:][:n]
			}
			addReLU(out[c*ldOut:][:n], r, l.ReLU)
		}
		activateRows(l, out, ldOut, n)
	case poolWin:
		win := l.Window()
		separable := l.Kind == model.OpMaxPool && win.DH == 1 && win.DW == 1
		for c := range l.InShape[0] {
			for img := range nb {
				o, x := out[c*ldOut+img*st.outHW:], in[c*ldIn+img*st.inHW:]
				if separable {
					maxPoolSeparable(o, x, l.InShape[1], l.InShape[2], win, e.poolRow)
				} else {
					PoolWindow(o, x, l.InShape[1], l.InShape[2], win, l.Kind == model.OpAvgPool)
				}
			}
		}
	case elementwise:
		for c := range l.OutShape[0] {
			activate(l.Kind, l, out[c*ldOut:][:n], in[c*ldIn:][:n])
		}
	case affine:
		for c := range l.OutShape[0] {
			row := out[c*ldOut:][:n]
			Affine(row, in[c*ldIn:][:n], w[c], b[c])
			if l.ReLU {
				activate(model.OpReLU, l, row, row)
			}
		}
		activateRows(l, out, ldOut, n)
	case add2, mul:
		e.forwardBinary(st, in, out, ldIn, ldOut, nb)
	case extOp:
		e.forwardExt(st, w, b, in, out, ldIn, ldOut, nb)
	case attnOp:
		e.forwardAttn(st, w, in, out, ldIn, ldOut, nb)
	case matmul2:
		e.matmul(st, in, out, ldIn, ldOut, nb)
	case concat:
		e.forwardConcat(st, out, ldOut, nb)
	}
}

// forwardBinary computes an add2 or mul step, out = in ∘ in2 element by element (in2 the
// layer's second input, buffer l.In2), or for a broadcast mul out = in · f with one factor f
// per channel and image (in2 holding them at c·ld(1) + b).
func (e *Engine) forwardBinary(st *step, in, out []float32, ldIn, ldOut, nb int) {
	l := &st.l
	n := nb * st.outHW // floats of a row that hold results
	in2 := e.bufs[l.In2][e.guard:]
	ld1 := e.ld(1)
	for c := range l.OutShape[0] {
		o, x := out[c*ldOut:][:n], in[c*ldIn:][:n]
		switch {
		case st.kind == add2:
			addRow(o, x, in2[c*ldIn:])
		case l.Broadcast:
			for img := range nb {
				i := img * st.outHW
				scaleRow(o[i:i+st.outHW], x[i:], in2[c*ld1+img])
			}
		default:
			mulRow(o, x, in2[c*ldIn:])
		}
	}
}

// forwardConcat computes a concat step: the channels of its inputs (buffers l.Ins, l.InsC[j]
// channels each, rows ldOut apart) copied one after the other into out.
func (e *Engine) forwardConcat(st *step, out []float32, ldOut, nb int) {
	l := &st.l
	n := nb * st.outHW // floats of a row that hold results
	c0 := 0
	for j, buf := range l.Ins {
		src := e.bufs[buf][e.guard:]
		for c := range l.InsC[j] {
			copy(out[(c0+c)*ldOut:][:n], src[c*ldOut:][:n])
		}
		c0 += l.InsC[j]
	}
}

// activateRows applies a conv or linear layer's fused activation (Layer.HasAct) in place to
// the first n floats of each of its output rows.
func activateRows(l *model.Layer, out []float32, ld, n int) {
	if !l.HasAct {
		return
	}
	for c := range l.Cout() {
		row := out[c*ld:][:n]
		activate(l.Act, l, row, row)
	}
}

// phasePlanes writes the phase planes of a stride-2 step's input that it and the steps
// sharing them read: plane ph = 2·ry + rx of channel ci holds in[ci][2y+ry][2x+rx], at row
// ph·Cin + ci of e.tmp (after the guard), laid out like the output.
func (e *Engine) phasePlanes(st *step, in []float32, ldIn, ldOut, nb int) {
	l := &st.l
	cin, h, w, oh, ow := l.InShape[0], l.InShape[1], l.InShape[2], l.OutShape[1], l.OutShape[2]
	tmp := e.tmp[e.guard:]
	if h == 2*oh && w == 2*ow {
		var d [4][]float32
		done := true
		for ci := range cin {
			for b := range nb {
				for ph := range d {
					d[ph] = tmp[(ph*cin+ci)*ldOut+b*oh*ow:][:oh*ow]
				}
				if done = phasesAsm(in[ci*ldIn+b*h*w:][:h*w], w, oh, d); !done {
					break
				}
			}
			if !done {
				break
			}
		}
		if done {
			return
		}
	}
	for ph := range 4 {
		if st.phases&(1<<ph) == 0 {
			continue
		}
		ry, rx := ph>>1, ph&1
		for ci := range cin {
			src := in[ci*ldIn:]
			dst := tmp[(ph*cin+ci)*ldOut:]
			for b := range nb {
				for y := range oh {
					s := src[b*h*w+(2*y+ry)*w+rx:]
					d := dst[b*oh*ow+y*ow:][:ow]
					for x := range d {
						d[x] = s[2*x]
					}
				}
			}
		}
	}
}

// im2col writes the receptive fields of a convCol step into e.tmp (im2col.go): row
// (ci, kh, kw) ldOut floats apart, column b·OH·OW + oh·OW + ow.
func (e *Engine) im2col(st *step, in []float32, ldIn, ldOut, nb int) {
	l := &st.l
	g := colGeom{C: l.InShape[0], H: l.InShape[1], W: l.InShape[2], OH: l.OutShape[1], OW: l.OutShape[2], Window: l.Window()}
	im2col(e.tmp, ldOut, in, ldIn, nb, g)
}

// flatten writes a linear step's input as features × images into e.tmp: feature
// c·H·W + i of image b at (c·H·W + i)·ld(1) + b.
func (e *Engine) flatten(st *step, in []float32, ldIn, nb int) {
	ld1, hw := e.ld(1), st.inHW
	for c := range st.l.InShape[0] {
		for b := range nb {
			for i, v := range in[c*ldIn+b*hw:][:hw] {
				e.tmp[(c*hw+i)*ld1+b] = v
			}
		}
	}
}
