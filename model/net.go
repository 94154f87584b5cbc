package model

import (
	"fmt"
	"slices"
	"strings"
)

// ParamKind says what role a state_dict entry plays; directions treat the kinds differently.
type ParamKind int

const (
	KindWeight      ParamKind = iota // conv or linear weight (two or more dimensions)
	KindBias                         // conv or linear bias
	KindBNWeight                     // batch-norm scale γ
	KindBNBias                       // batch-norm shift β
	KindRunningMean                  // batch-norm running mean (a buffer, not a parameter)
	KindRunningVar                   // batch-norm running variance (a buffer)
	KindNumBatches                   // batch-norm num_batches_tracked (int64 in PyTorch; never used)
)

// IsParameter reports whether the entry is a trainable parameter (in named_parameters()).
func (k ParamKind) IsParameter() bool { return k <= KindBNBias }

// IsState reports whether the entry is a running statistic (a float buffer).
func (k ParamKind) IsState() bool { return k == KindRunningMean || k == KindRunningVar }

// ParamSpec describes one state_dict entry the network expects.
type ParamSpec struct {
	Name  string
	Shape []int
	Kind  ParamKind
}

// OpKind enumerates the layers of the zoo networks.
type OpKind int

const (
	OpConv          OpKind = iota // 2D convolution: Weight [Cout,Cin,K,K], optional Bias, Stride, Pad
	OpBatchNorm                   // batch norm (2D over channels, or 1D over features) named by Prefix
	OpReLU                        // max(x, 0)
	OpAdd                         // Out = In + In2
	OpMaxPool                     // K×K max pool with stride K, ceil mode
	OpGlobalAvgPool               // mean over H×W → [C,1,1]
	OpLinear                      // y = x·Wᵀ + b over the flattened input

	// Ops of imported graphs (ONNX); the zoo networks use none of them.

	OpAvgPool   // average pool over a Window (count_include_pad as Win.CountPad says)
	OpConcat    // Out = the channels of Ins, in order
	OpClip      // min(max(x, Lo), Hi) (ReLU6: Lo 0, Hi 6)
	OpLeakyReLU // x for x ≥ 0, Alpha·x below
	OpSigmoid   // 1/(1 + e^(−x))
	OpMul       // Out = In ⊙ In2, In2 of shape [C,1,1] broadcast over the pixels or of In's shape

	OpHardSigmoid // max(0, min(1, Alpha·x + Beta))
	OpHardSwish   // x·max(0, min(1, x/6 + 1/2))
	OpSiLU        // x·σ(x) (Sigmoid and Mul of an export, fused)
	OpGELU        // x·Φ(x) = x/2·(1 + erf(x/√2))
	OpGELUTanh    // x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GELU's tanh approximation
	OpTanh        // tanh(x)
	OpArith       // Out = In ∘ v (v ∘ In when Rev), ∘ = Arith (+ − × ÷), v one value, one per channel, or (Weight, H·W > 1) one per element stored pixel-major [H·W, C] (a position embedding [1, T, D]): Weight, or Const
	OpLayerNorm   // over the channels of each pixel: (x − mean)/√(var + Eps)·γ + β, γ = Weight, β = Bias (absent: 1, 0)
	OpChannels    // Out channel c = In channel Perm[c] (channel shuffle; Split/Slice along channels)

	// Ops of transformers (model/onnx_attn.go: tokens [T, D] live in slots [D, T, 1]).

	OpSoftmax   // per pixel, over each of Heads groups of C/Heads consecutive channels: e^(x−max)/Σ e^(x−max)
	OpMatMul    // per image, head g < Heads and window: Out_g = op(In2_g)·In_g, In_g [K, M] (channels × the window's pixels), op transposes when TransA (see MatMulDims); Windows > 1: the pixels of In, In2 and Out are Windows consecutive groups, one product per group
	OpCatTokens // Out pixels = the k tokens of parameter Weight [1, k, C] (row-major), then In's pixels
	OpPixels    // Out pixel j = In pixel Perm[j], 0 where Perm[j] < 0 (class-token selection; Swin's padding, roll and window partition); Out any [C, H, W] with H·W = len(Perm)
)

var opNames = [...]string{"conv", "batchnorm", "relu", "add", "maxpool", "avgpool", "linear",
	"avgpool-window", "concat", "clip", "leakyrelu", "sigmoid", "mul",
	"hardsigmoid", "hardswish", "silu", "gelu", "gelu-tanh", "tanh", "arith", "layernorm", "channels",
	"softmax", "matmul", "cat-tokens", "pixels"}

// IsActivation reports whether the op is an element-wise function of one activation other than
// ReLU (which plans fuse as Layer.ReLU): Clip, LeakyReLU, Sigmoid and the kinds after OpMul
// up to OpTanh. A plan fuses one after a conv, linear or batch-norm layer (Layer.Act).
func (k OpKind) IsActivation() bool {
	return k == OpClip || k == OpLeakyReLU || k == OpSigmoid || (k >= OpHardSigmoid && k <= OpTanh)
}

func (k OpKind) String() string { return opNames[k] }

// Op is one layer. Activations live in numbered slots, each written by exactly one op (a value,
// never overwritten); slot 0 is the network input. Slot s holds one image's activation of shape
// Net.Slots[s] = [C, H, W] (H = W = 1 after global pooling or for linear layers).
// Ops are listed in an order that computes every input before it is used.
type Op struct {
	Kind    OpKind
	In, In2 int // input slots (In2 only for OpAdd)
	Out     int // output slot
	Weight  string
	Bias    string // empty when the layer has no bias
	Prefix  string // batch norm: entries Prefix.weight, .bias, .running_mean, .running_var
	K       int    // kernel size (conv, maxpool)
	Stride  int
	Pad     int

	// Fields of imported graphs; zero in the zoo networks.

	Win     Window    // conv and pool geometry when not K×K/Stride/Pad (Win.KH == 0: use K, Stride, Pad)
	Groups  int       // conv groups (0 or 1: dense; Cin: depthwise)
	TransW  bool      // OpLinear: Weight is stored [in, out] (an ONNX MatMul operand), not [out, in]
	BNNames [4]string // batch norm entries γ, β, μ, σ² when they are not Prefix + ".weight", … (ONNX names)
	Ins     []int     // OpConcat: the input slots, in order (In is Ins[0])
	Lo, Hi  float32   // OpClip bounds
	Alpha   float32   // OpLeakyReLU slope
	Eps     float64   // OpBatchNorm, OpLayerNorm: ε of σ² + ε (0: BNEps, PyTorch's default); read it through BNEpsilon
	Beta    float32   // OpHardSigmoid offset
	Arith   byte      // OpArith: '+', '-', '*' or '/'
	Rev     bool      // OpArith: Const or Weight is the left operand (v − x, v / x)
	Const   []float32 // OpArith: the operand when it is a constant, not a parameter (one value or one per channel)
	Perm    []int     // OpChannels: the input channel of each output channel; OpPixels: the input pixel of each output pixel; OpArith by a Weight: element (pixel p, channel c) reads Weight entry Perm[p·C + c] (a relative position bias gathered from its table)
	Heads   int       // OpSoftmax, OpMatMul: channel groups (attention heads)
	TransA  bool      // OpMatMul: In2_g is stored [K, N] and read transposed (else [N, K])
	Windows int       // OpMatMul: pixel groups multiplied separately (Swin's windows; 0 or 1: one)
}

// MatMulDims returns an OpMatMul's per-head sizes: In_g is K×M (M the input's pixels), In2_g
// N×K (K×N when TransA), Out_g N×M, given the slot shapes of In and Out. With windows, each
// window's product is K×(M/windows) by N×K (In2's pixels per window: K or N).
func MatMulDims(heads int, in, out [3]int) (m, n, k int) {
	return in[1] * in[2], out[0] / heads, in[0] / heads
}

// WindowCount is an OpMatMul's number of windows (1 when Windows is 0).
func WindowCount(w int) int { return max(w, 1) }

// BNEpsilon returns the batch norm's ε: the node's own (an ONNX BatchNormalization's epsilon
// attribute), or PyTorch's default BNEps when none was given.
func (op *Op) BNEpsilon() float64 {
	if op.Eps > 0 {
		return op.Eps
	}
	return BNEps
}

// Window is the geometry of a convolution or pooling window, as ONNX and PyTorch define it:
// output pixel (oy, ox) reads input rows oy·SH − PadT + kh·DH (kh < KH) and columns
// ox·SW − PadL + kw·DW; the output is ⌊(H + PadT + PadB − DH·(KH−1) − 1)/SH⌋ + 1 rows (⌈…⌉ with
// Ceil, less one when the last window would start at or past H + PadT, i.e. inside the right
// padding only). Average pools divide by the window's size clipped to the padded input when
// CountPad is set, else by the number of input pixels in it.
type Window struct {
	KH, KW, SH, SW, DH, DW int
	PadT, PadL, PadB, PadR int
	Ceil, CountPad         bool
}

// OutSize returns the output height and width of the window on an h×w input.
func (w Window) OutSize(h, wd int) (oh, ow int) {
	return outLen(h, w.KH, w.SH, w.DH, w.PadT, w.PadB, w.Ceil), outLen(wd, w.KW, w.SW, w.DW, w.PadL, w.PadR, w.Ceil)
}

func outLen(n, k, s, d, lo, hi int, ceil bool) int {
	span := n + lo + hi - d*(k-1) - 1
	if span < 0 {
		return 0
	}
	o := span/s + 1
	if ceil && span%s != 0 {
		o++
		if (o-1)*s >= n+lo {
			o--
		}
	}
	return o
}

// Square reports whether the window is the zoo's kind: a K×K kernel, the same stride both
// ways, the same padding on every side, no dilation, no ceil mode.
func (w Window) Square() bool {
	return w.KH == w.KW && w.SH == w.SW && w.DH == 1 && w.DW == 1 && !w.Ceil &&
		w.PadT == w.PadL && w.PadT == w.PadB && w.PadT == w.PadR
}

// Window returns the op's geometry: Win when set, else K×K with stride Stride and padding Pad
// (a zoo max pool: stride K, ceil mode).
func (op *Op) Window() Window {
	if op.Win.KH > 0 {
		return op.Win
	}
	w := Window{KH: op.K, KW: op.K, SH: op.Stride, SW: op.Stride, DH: 1, DW: 1, PadT: op.Pad, PadL: op.Pad, PadB: op.Pad, PadR: op.Pad}
	if op.Kind == OpMaxPool {
		w.Ceil = true
	}
	return w
}

// BNEntries returns the names of a batch norm's γ, β, running mean and running variance.
func (op *Op) BNEntries() [4]string {
	if op.BNNames[0] != "" {
		return op.BNNames
	}
	return [4]string{op.Prefix + ".weight", op.Prefix + ".bias", op.Prefix + ".running_mean", op.Prefix + ".running_var"}
}

// Inputs returns every slot the op reads.
func (op *Op) Inputs() []int {
	switch {
	case op.Kind == OpConcat:
		return op.Ins
	case op.Kind == OpAdd || op.Kind == OpMul || op.Kind == OpMatMul:
		return []int{op.In, op.In2}
	}
	return []int{op.In}
}

// Net is a zoo network for one input shape: its expected state_dict and its layer graph.
type Net struct {
	Name    string
	InC     int // input channels
	HW      int // input height and width (0 for an imported graph whose input is not square: see Slots[0])
	Classes int
	Params  []ParamSpec
	Ops     []Op
	Slots   [][3]int // activation shape [C,H,W] of each slot
	Output  int      // slot holding the logits [Classes,1,1]
	File    string   // the graph's file (an imported ONNX model), or "" for a zoo network
}

// Input returns the shape [C, H, W] of one input image.
func (n *Net) Input() [3]int { return n.Slots[0] }

// BNEps is PyTorch's default batch-norm epsilon.
const BNEps = 1e-5

// Spec returns the expected entry called name, or nil.
func (n *Net) Spec(name string) *ParamSpec {
	for i := range n.Params {
		if n.Params[i].Name == name {
			return &n.Params[i]
		}
	}
	return nil
}

// FLOPs is the number of floating-point operations (2 per multiply-add) of one forward pass of one image
// through the convolution and linear layers and the products of two activations (attention).
func (n *Net) FLOPs() float64 {
	var f float64
	for _, op := range n.Ops {
		switch op.Kind {
		case OpConv:
			o := n.Slots[op.Out]
			ci := n.Slots[op.In][0] / max(op.Groups, 1)
			w := op.Window()
			f += 2 * float64(o[0]*o[1]*o[2]*ci*w.KH*w.KW)
		case OpLinear:
			in := n.Slots[op.In]
			f += 2 * float64(in[0]*in[1]*in[2]*n.Slots[op.Out][0])
		case OpMatMul:
			m, nn, k := MatMulDims(op.Heads, n.Slots[op.In], n.Slots[op.Out])
			f += 2 * float64(op.Heads*m*nn*k)
		}
	}
	return f
}

// CheckWeights verifies that w holds exactly the entries the network expects, with the expected shapes.
// file names the source for the error messages.
func (n *Net) CheckWeights(w *Weights, file string) error {
	var errs []string
	for _, p := range n.Params {
		t := w.Get(p.Name)
		switch {
		case t == nil:
			errs = append(errs, fmt.Sprintf("missing tensor %q (want shape %s)", p.Name, ShapeString(p.Shape)))
		case p.Kind == KindNumBatches && len(t.Data) == 1:
			// a counter PyTorch never reads in evaluation; tolerate [] or [1]
		case !slices.Equal(t.Shape, p.Shape):
			errs = append(errs, fmt.Sprintf("tensor %q has shape %s, want %s", p.Name, ShapeString(t.Shape), ShapeString(p.Shape)))
		}
	}
	for _, name := range w.Names {
		if n.Spec(name) == nil {
			errs = append(errs, fmt.Sprintf("unexpected tensor %q (shape %s) not in %s", name, ShapeString(w.Tensors[name].Shape), n.Name))
		}
	}
	if len(errs) > 0 {
		if len(errs) > 8 {
			errs = append(errs[:8], fmt.Sprintf("... and %d more", len(errs)-8))
		}
		in := n.Input()
		return fmt.Errorf("%s: weights do not fit model %s (input %dx%dx%d, %d classes):\n  %s",
			file, n.Name, in[0], in[1], in[2], n.Classes, strings.Join(errs, "\n  "))
	}
	return nil
}
