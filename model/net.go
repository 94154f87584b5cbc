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
)

var opNames = [...]string{"conv", "batchnorm", "relu", "add", "maxpool", "avgpool", "linear"}

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
}

// Net is a zoo network for one input shape: its expected state_dict and its layer graph.
type Net struct {
	Name    string
	InC     int // input channels
	HW      int // input height and width
	Classes int
	Params  []ParamSpec
	Ops     []Op
	Slots   [][3]int // activation shape [C,H,W] of each slot
	Output  int      // slot holding the logits [Classes,1,1]
}

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
// through the convolution and linear layers.
func (n *Net) FLOPs() float64 {
	var f float64
	for _, op := range n.Ops {
		switch op.Kind {
		case OpConv:
			o := n.Slots[op.Out]
			ci := n.Slots[op.In][0]
			f += 2 * float64(o[0]*o[1]*o[2]*ci*op.K*op.K)
		case OpLinear:
			in := n.Slots[op.In]
			f += 2 * float64(in[0]*in[1]*in[2]*n.Slots[op.Out][0])
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
		return fmt.Errorf("%s: weights do not fit model %s (input %dx%dx%d, %d classes):\n  %s",
			file, n.Name, n.InC, n.HW, n.HW, n.Classes, strings.Join(errs, "\n  "))
	}
	return nil
}
