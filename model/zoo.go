package model

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// Config fixes what a zoo network's shapes depend on.
type Config struct {
	InC     int // input channels (1 for MNIST-like data, 3 for CIFAR)
	HW      int // input height = width
	Classes int
}

// ZooNames lists the networks Build knows, for help texts.
func ZooNames() []string {
	var out []string
	for _, d := range []int{20, 32, 44, 56, 110} {
		out = append(out, fmt.Sprintf("resnet%d", d), fmt.Sprintf("resnet%d-noshort", d))
	}
	for _, k := range []int{2, 4, 8} {
		out = append(out, fmt.Sprintf("wrn56-%d", k), fmt.Sprintf("wrn56-%d-noshort", k))
	}
	return append(append(out, "vgg9"), SmallNames()...)
}

var (
	resnetRe = regexp.MustCompile(`^resnet(\d+)(-noshort)?$`)
	wrnRe    = regexp.MustCompile(`^wrn(\d+)-(\d+)(-noshort)?$`)
)

// Bounds on the sizes a zoo name may ask for, checked before anything is built: ResNet-1202
// is the deepest CIFAR ResNet of He et al. (2016), and 4096 channels in the first stage
// (16384 in the last) is far past any network that fits a GPU; a name such as
// wrn56-99999999999 is refused, not built into shapes whose element counts overflow, and a
// network of over 2^31 parameters (vgg5-c4096 on large images) before they are allocated.
const (
	maxZooDepth    = 1202
	maxZooChannels = 4096
	maxZooParams   = 1 << 31
)

// Build returns the named zoo network for the given input shape and class count.
// ResNets take any depth 6n+2 ("resnet20" … "resnet110"), wide ResNets "wrnD-K" any width K.
//
// A name ending in .onnx is a graph file (LoadONNX); its input shape and classes are the
// graph's own, and c is ignored.
func Build(name string, c Config) (*Net, error) {
	if IsGraphFile(name) {
		n, _, err := LoadONNX(name, "")
		return n, err
	}
	name = Canonical(name) // the paper's resnet20_noshort, wrn56_2
	if c.InC <= 0 || c.HW <= 0 || c.Classes <= 0 {
		return nil, fmt.Errorf("model %s: bad input config %+v", name, c)
	}
	n, err := buildZoo(name, c)
	if err != nil {
		return nil, err
	}
	if total := paramCount(n); total > maxZooParams {
		return nil, fmt.Errorf("model %s: %.0f parameters for %d×%d×%d inputs, more than %d (%d GiB of float32)", name, total, c.InC, c.HW, c.HW, maxZooParams, maxZooParams>>28)
	}
	return n, nil
}

// paramCount is the number of values n's parameters and buffers hold (in float64: shapes from
// large inputs may hold more than an int counts).
func paramCount(n *Net) float64 {
	var total float64
	for _, p := range n.Params {
		e := 1.0
		for _, d := range p.Shape {
			e *= float64(d)
		}
		total += e
	}
	return total
}

// buildZoo builds the zoo network called name (Canonical) for c.
func buildZoo(name string, c Config) (*Net, error) {
	if m := resnetRe.FindStringSubmatch(name); m != nil {
		depth, _ := strconv.Atoi(m[1])
		return resnet(name, depth, 16, m[2] == "", c)
	}
	if m := wrnRe.FindStringSubmatch(name); m != nil {
		depth, _ := strconv.Atoi(m[1])
		width, err := strconv.Atoi(m[2])
		if err != nil || width < 1 || width > maxZooChannels/16 {
			return nil, fmt.Errorf("model %s: width must be 1 to %d", name, maxZooChannels/16)
		}
		return resnet(name, depth, 16*width, m[3] == "", c)
	}
	if name == "vgg9" {
		return vgg("vgg9", []int{64, 64, -1, 128, 128, -1, 256, 256, 256, -1}, 256, c), nil
	}
	if n, ok, err := buildSmall(name, c); ok {
		return n, err
	}
	return nil, fmt.Errorf("unknown model %q (known: %v)", name, ZooNames())
}

// builder appends layers and their state_dict entries in PyTorch's registration order.
type builder struct{ n *Net }

func (b *builder) slot(c, h, w int) int {
	b.n.Slots = append(b.n.Slots, [3]int{c, h, w})
	return len(b.n.Slots) - 1
}

func (b *builder) param(name string, kind ParamKind, shape ...int) {
	b.n.Params = append(b.n.Params, ParamSpec{Name: name, Shape: slices.Clone(shape), Kind: kind})
}

func (b *builder) conv(prefix string, in, cout, k, stride, pad int, bias bool) int {
	s := b.n.Slots[in]
	oh, ow := ConvGeom{K: k, Stride: stride, Pad: pad}.Window().OutSize(s[1], s[2])
	out := b.slot(cout, oh, ow)
	op := Op{Kind: OpConv, In: in, Out: out, Weight: prefix + ".weight", K: k, Stride: stride, Pad: pad}
	b.param(op.Weight, KindWeight, cout, s[0], k, k)
	if bias {
		op.Bias = prefix + ".bias"
		b.param(op.Bias, KindBias, cout)
	}
	b.n.Ops = append(b.n.Ops, op)
	return out
}

func (b *builder) bn(prefix string, in int) int {
	c := b.n.Slots[in][0]
	b.param(prefix+".weight", KindBNWeight, c)
	b.param(prefix+".bias", KindBNBias, c)
	b.param(prefix+".running_mean", KindRunningMean, c)
	b.param(prefix+".running_var", KindRunningVar, c)
	b.param(prefix+".num_batches_tracked", KindNumBatches)
	out := b.slot(c, b.n.Slots[in][1], b.n.Slots[in][2])
	b.n.Ops = append(b.n.Ops, Op{Kind: OpBatchNorm, In: in, Out: out, Prefix: prefix})
	return out
}

func (b *builder) relu(in int) int {
	s := b.n.Slots[in]
	out := b.slot(s[0], s[1], s[2])
	b.n.Ops = append(b.n.Ops, Op{Kind: OpReLU, In: in, Out: out})
	return out
}

func (b *builder) add(x, y int) int {
	s := b.n.Slots[x]
	out := b.slot(s[0], s[1], s[2])
	b.n.Ops = append(b.n.Ops, Op{Kind: OpAdd, In: x, In2: y, Out: out})
	return out
}

func (b *builder) linear(prefix string, in, out int) int {
	s := b.n.Slots[in]
	o := b.slot(out, 1, 1)
	op := Op{Kind: OpLinear, In: in, Out: o, Weight: prefix + ".weight", Bias: prefix + ".bias"}
	b.param(op.Weight, KindWeight, out, s[0]*s[1]*s[2])
	b.param(op.Bias, KindBias, out)
	b.n.Ops = append(b.n.Ops, op)
	return o
}

func (b *builder) maxpool(in, k int) int {
	s := b.n.Slots[in]
	o := b.slot(s[0], (s[1]+k-1)/k, (s[2]+k-1)/k)
	b.n.Ops = append(b.n.Ops, Op{Kind: OpMaxPool, In: in, Out: o, K: k, Stride: k})
	return o
}

func (b *builder) avgpool(in int) int {
	o := b.slot(b.n.Slots[in][0], 1, 1)
	b.n.Ops = append(b.n.Ops, Op{Kind: OpGlobalAvgPool, In: in, Out: o})
	return o
}

func newBuilder(name string, c Config) *builder {
	b := &builder{n: &Net{Name: name, InC: c.InC, HW: c.HW, Classes: c.Classes}}
	b.slot(c.InC, c.HW, c.HW)
	return b
}

// resnet is the paper's CIFAR ResNet: conv3x3-BN-ReLU stem, three stages of (depth−2)/6
// post-activation basic blocks with ch/2ch/4ch channels (ch = 16·width) and strides 1/2/2, a 1x1 conv+BN
// shortcut where the shape changes (identity otherwise, none at all without shortcuts),
// global average pooling and a linear classifier.
func resnet(name string, depth, ch int, shortcut bool, c Config) (*Net, error) {
	if depth < 8 || depth > maxZooDepth || (depth-2)%6 != 0 {
		return nil, fmt.Errorf("model %s: ResNet depth must be 6n+2 with 1 ≤ n ≤ %d, got %d", name, (maxZooDepth-2)/6, depth)
	}
	n := (depth - 2) / 6
	b := newBuilder(name, c)
	x := b.relu(b.bn("bn1", b.conv("conv1", 0, ch, 3, 1, 1, false)))
	for stage, cout := range []int{ch, 2 * ch, 4 * ch} {
		for i := range n {
			stride := 1
			if stage > 0 && i == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", stage+1, i)
			cin := b.n.Slots[x][0]
			y := b.relu(b.bn(p+".bn1", b.conv(p+".conv1", x, cout, 3, stride, 1, false)))
			y = b.bn(p+".bn2", b.conv(p+".conv2", y, cout, 3, 1, 1, false))
			if shortcut {
				s := x
				if stride != 1 || cin != cout {
					s = b.bn(p+".shortcut.1", b.conv(p+".shortcut.0", x, cout, 1, stride, 0, false))
				}
				y = b.add(y, s)
			}
			x = b.relu(y)
		}
	}
	b.n.Output = b.linear("linear", b.avgpool(x), c.Classes)
	return b.n, nil
}

// vgg is the paper's VGG layout: features.N = conv3x3(pad 1, bias)+BN+ReLU for each channel count
// of cfg, a 2x2 ceil-mode max pool for each -1 (N counts every module, pools included, as
// nn.Sequential does), then fc.0 Linear(C·s·s → fc), fc.1 BN1d, ReLU, classifier Linear(fc → classes).
// vgg9 is cfg 64,64,M,128,128,M,256,256,256,M with fc 256.
func vgg(name string, cfg []int, fc int, c Config) *Net {
	b := newBuilder(name, c)
	x, idx := 0, 0
	for _, v := range cfg {
		if v < 0 {
			x = b.maxpool(x, 2)
			idx++
			continue
		}
		x = b.conv(fmt.Sprintf("features.%d", idx), x, v, 3, 1, 1, true)
		x = b.relu(b.bn(fmt.Sprintf("features.%d", idx+1), x))
		idx += 3
	}
	x = b.relu(b.bn("fc.1", b.linear("fc.0", x, fc)))
	b.n.Output = b.linear("classifier", x, c.Classes)
	return b.n
}
