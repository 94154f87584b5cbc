package model

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"landscape/onnx"
)

// ExportCall is the PyTorch export that keeps batch norm and the state_dict names.
const ExportCall = `torch.onnx.export(net.eval(), example, "net.onnx", training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, opset_version=13)`

// WarnOutput receives the warnings of LoadONNX (an export with batch norm fused).
var WarnOutput io.Writer = os.Stderr

// IsGraphFile reports whether a --model value names a graph file (ONNX) rather than a zoo network.
func IsGraphFile(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".onnx") }

// LoadONNX imports the network of an ONNX file (opsets 11–17): its layer graph, and its weights
// from the file's initializers, or from weightsFile (a safetensors state_dict with the same
// names; num_batches_tracked entries are ignored) when that is not "". Parameter roles come
// from the graph: Conv/Gemm/MatMul weights, their biases, batch-norm γ, β and running
// statistics, LayerNorm γ and β, parameters an activation is scaled or shifted by; Params lists
// them in the order the graph first reads them (a PyTorch export's forward order). Nodes whose
// inputs are all constants are evaluated at load (onnx_consteval.go). A graph that cannot be
// imported gets one error (*ImportError) naming every unsupported operator type with its count
// and first node, and every node refused for its attributes or shapes.
func LoadONNX(file, weightsFile string) (*Net, *Weights, error) {
	im, err := importONNX(file)
	if err != nil {
		return nil, nil, err
	}
	if err := im.refusal(); err != nil {
		return nil, nil, err
	}
	n := im.net
	w := NewWeights()
	for _, p := range n.Params {
		w.Add(im.params[p.Name])
	}
	if weightsFile != "" {
		fw, _, err := ReadSafetensors(weightsFile)
		if err != nil {
			return nil, nil, err
		}
		kept := NewWeights()
		for _, name := range fw.Names {
			if !strings.HasSuffix(name, "num_batches_tracked") {
				kept.Add(fw.Tensors[name])
			}
		}
		if err := n.CheckWeights(kept, weightsFile); err != nil {
			return nil, nil, err
		}
		w = Order(n, kept)
	}
	var fused []string
	for _, op := range n.Ops {
		if op.Kind == OpConv && strings.HasPrefix(op.Weight, "onnx::") {
			fused = append(fused, op.Weight)
		}
	}
	if len(fused) > 0 && WarnOutput != nil {
		fmt.Fprintf(WarnOutput, "warning: %s: convolution weights with exporter-made names (%s, …): batch norm was fused into them at export, "+
			"so its parameters and running statistics are not scanned; export with\n  %s\n", file, fused[0], ExportCall)
	}
	return n, w, nil
}

// importONNX reads file and imports its graph, recording what it cannot import.
func importONNX(file string) (*importer, error) {
	m, err := onnx.Read(file)
	if err != nil {
		return nil, err
	}
	if v := m.Opset(); v < 11 || v > 17 {
		return nil, fmt.Errorf("%s: ONNX opset %d; landscape reads opsets 11 to 17: export with %s", file, v, ExportCall)
	}
	im := &importer{file: file, opset: m.Opset(), consts: map[string]*constant{}, vals: map[string]value{},
		params: map[string]*Tensor{}, net: &Net{Name: filepath.Base(file), File: file}}
	if err := im.graph(m.GetGraph()); err != nil {
		return nil, err
	}
	return im, nil
}

// value is an activation of the graph: a slot, seen flat ([N, C·H·W]) after Flatten/Reshape,
// with zero padding still to apply (a Pad node, merged into the Conv or AveragePool after it).
// A value may be seen in another logical layout than the slot's [C, H, W] (no copy made):
// nhwc, permuted to [N, H, W, C] (a Transpose with perm 0,2,3,1), or its channels split into
// groups [N, G[0], G[1], H, W] (a Reshape), G swapped when Swapped (a Transpose 0,2,1,3,4).
type value struct {
	slot    int
	flat    bool
	pad     [4]int // top, left, bottom, right
	nhwc    bool
	groups  [2]int
	swapped bool
	tok     *tokView // seen as tokens, heads or attention scores (onnx_attn.go); the fields above zero
}

// plainLayout reports whether the value is seen as its slot, [N, C, H, W] (or flattened).
func (v value) plainLayout() bool { return !v.nhwc && v.groups == [2]int{} && v.tok == nil }

type importer struct {
	file   string
	opset  int64
	consts map[string]*constant
	vals   map[string]value
	params map[string]*Tensor
	net    *Net
	// lastLinear maps the output slot of a bias-less linear layer (MatMul) read by nothing but
	// one node to the layer's op index: an Add of a 1D constant there gives it a bias.
	lastLinear map[int]int
	uses       map[string]int // how many node inputs and graph outputs name each value
	// lastNorm maps the output slot of an OpLayerNorm without γ (or β) to its op index: a Mul
	// (Add) by a parameter there becomes its γ (β).
	lastNorm  map[int]int
	producer  map[string]*onnx.NodeProto   // the node computing each value
	consumers map[string][]*onnx.NodeProto // the nodes reading each value
	absorbed  map[*onnx.NodeProto]bool     // nodes a recognised pattern (GELU, LayerNorm) computes
	poisoned  map[string]bool              // values computed from a node that was not imported
	missing   map[string]*MissingOp        // unsupported operator types
	refused   []string                     // nodes of supported types refused, with why
}

func (im *importer) errorf(nd *onnx.NodeProto, format string, a ...any) error {
	return fmt.Errorf("%s: %s: %s", im.file, nd.Label(), fmt.Sprintf(format, a...))
}

// graph imports the initializers, the input, every node in order and the output.
func (im *importer) graph(g *onnx.GraphProto) error {
	im.lastLinear, im.uses, im.lastNorm = map[int]int{}, map[string]int{}, map[int]int{}
	im.producer, im.consumers, im.absorbed = map[string]*onnx.NodeProto{}, map[string][]*onnx.NodeProto{}, map[*onnx.NodeProto]bool{}
	im.poisoned, im.missing = map[string]bool{}, map[string]*MissingOp{}
	for _, nd := range g.GetNode() {
		for _, in := range nd.GetInput() {
			im.uses[in]++
			im.consumers[in] = append(im.consumers[in], nd)
		}
		for _, o := range nd.GetOutput() {
			im.producer[o] = nd
		}
	}
	for _, o := range g.GetOutput() {
		im.uses[o.GetName()]++
	}
	for _, t := range g.GetInitializer() {
		c, err := constFromTensor(t)
		if err != nil {
			return fmt.Errorf("%s: initializer: %w", im.file, err)
		}
		im.consts[t.GetName()] = c
	}
	var inputs []*onnx.ValueInfoProto
	for _, v := range g.GetInput() {
		if im.consts[v.GetName()] == nil {
			inputs = append(inputs, v)
		}
	}
	if len(inputs) != 1 {
		return fmt.Errorf("%s: the graph has %d inputs besides its initializers; landscape scans networks of one image input", im.file, len(inputs))
	}
	dims, ok := inputs[0].Dims()
	if !ok || len(dims) != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 || (dims[0] != -1 && dims[0] != 1) {
		return fmt.Errorf("%s: graph input %q has shape %v; want [N, C, H, W] with fixed C, H, W and the batch N free or 1 (-1: not fixed)",
			im.file, inputs[0].GetName(), dims)
	}
	if _, err := shapeSize(dims[1:], maxSlotValues); err != nil {
		return fmt.Errorf("%s: graph input %q of shape %v: %v per image", im.file, inputs[0].GetName(), dims, err)
	}
	n := im.net
	n.InC = dims[1]
	if dims[2] == dims[3] {
		n.HW = dims[2]
	}
	n.Slots = append(n.Slots, [3]int{dims[1], dims[2], dims[3]})
	im.vals[inputs[0].GetName()] = value{slot: 0}
	if err := checkInputCounts(im.file, g); err != nil {
		return err
	}
	for _, nd := range g.GetNode() {
		im.visit(nd)
	}
	if len(g.GetOutput()) != 1 {
		return fmt.Errorf("%s: the graph has %d outputs; want one, the logits", im.file, len(g.GetOutput()))
	}
	if im.poisoned[g.GetOutput()[0].GetName()] {
		return nil // refusal() says why
	}
	out, ok := im.vals[g.GetOutput()[0].GetName()]
	if !ok || out.pad != [4]int{} {
		return fmt.Errorf("%s: graph output %q is not an activation computed from the input", im.file, g.GetOutput()[0].GetName())
	}
	s := n.Slots[out.slot]
	if !out.plainLayout() {
		return fmt.Errorf("%s: graph output %q is a permuted or regrouped activation", im.file, g.GetOutput()[0].GetName())
	}
	if !out.flat && (s[1] != 1 || s[2] != 1) {
		return fmt.Errorf("%s: graph output %q has shape [N, %d, %d, %d]; want logits [N, classes]", im.file, g.GetOutput()[0].GetName(), s[0], s[1], s[2])
	}
	n.Output, n.Classes = out.slot, s[0]*s[1]*s[2]
	if out.slot == 0 {
		return fmt.Errorf("%s: the graph output is its input", im.file)
	}
	im.pruneOps()
	return nil
}

// param registers constant name as a parameter of the given kind (the first role wins) and
// returns its name.
func (im *importer) param(nd *onnx.NodeProto, name string, kind ParamKind) (string, error) {
	c := im.consts[name]
	if c == nil {
		return "", im.errorf(nd, "input %q must be a constant (an initializer), not computed from the image", name)
	}
	if c.isInt {
		return "", im.errorf(nd, "parameter %q is an integer tensor", name)
	}
	if _, ok := im.params[name]; ok {
		return name, nil
	}
	shape := slices.Clone(c.shape)
	if len(shape) == 0 {
		shape = []int{1}
	}
	im.params[name] = &Tensor{Name: name, Shape: shape, Data: c.float32s()}
	im.net.Params = append(im.net.Params, ParamSpec{Name: name, Shape: shape, Kind: kind})
	return name, nil
}

// act returns input i of nd as an activation.
func (im *importer) act(nd *onnx.NodeProto, i int) (value, error) {
	if i >= len(nd.GetInput()) {
		return value{}, im.errorf(nd, "missing input %d", i)
	}
	v, ok := im.vals[nd.GetInput()[i]]
	if !ok {
		return value{}, im.errorf(nd, "input %q is not an activation computed from the image (a constant where this reader expects one)", nd.GetInput()[i])
	}
	return v, nil
}

// plain returns input i of nd as an activation with no padding pending.
func (im *importer) plain(nd *onnx.NodeProto, i int) (value, error) {
	v, err := im.elementwise(nd, i)
	if err == nil && v.tok != nil {
		err = im.tokErr(nd, v, nd.GetOpType())
	}
	if err == nil && v.nhwc {
		err = im.errorf(nd, "reads an activation permuted to [N, H, W, C]; only element-wise ops, LayerNorm, MatMul and the Transpose back read one")
	}
	return v, err
}

// elementwise returns input i of nd as an activation for an element-wise op: no padding
// pending, in its slot's layout or permuted (NHWC), not regrouped.
func (im *importer) elementwise(nd *onnx.NodeProto, i int) (value, error) {
	v, err := im.act(nd, i)
	if err == nil && v.pad != [4]int{} {
		err = im.errorf(nd, "reads the output of a Pad node; a Pad may only precede a Conv or an AveragePool")
	}
	if err == nil && v.groups != [2]int{} {
		err = im.errorf(nd, "reads channels regrouped by a Reshape to 5 dimensions; only a Transpose of the groups and a Reshape back are supported")
	}
	return v, err
}

// emitAs is emit with the output seen in input v's layout (flat, NHWC).
func (im *importer) emitAs(nd *onnx.NodeProto, op Op, out [3]int, v value) {
	im.emit(nd, op, out, v.flat)
	w := im.vals[nd.GetOutput()[0]]
	w.nhwc = v.nhwc
	if v.tok != nil {
		w.flat, w.tok = false, v.tok.clone()
	}
	im.vals[nd.GetOutput()[0]] = w
}

// emit appends op with a new output slot of shape out and binds nd's first output to it.
func (im *importer) emit(nd *onnx.NodeProto, op Op, out [3]int, flat bool) {
	n := im.net
	n.Slots = append(n.Slots, out)
	op.Out = len(n.Slots) - 1
	n.Ops = append(n.Ops, op)
	im.vals[nd.GetOutput()[0]] = value{slot: op.Out, flat: flat}
}

// node imports one node: a load-time constant, an alias, or an op of the layer graph.
func (im *importer) node(nd *onnx.NodeProto) error {
	if len(nd.GetOutput()) == 0 {
		return im.errorf(nd, "no output")
	}
	typ := nd.GetOpType()
	if typ == "Shape" {
		if v, ok := im.vals[nd.GetInput()[0]]; ok {
			return im.shapeOf(nd, v)
		}
	}
	if evaluable[typ] && im.allConst(nd) {
		in := make([]*constant, len(nd.GetInput()))
		for i, name := range nd.GetInput() {
			in[i] = im.consts[name]
		}
		c, err := evalConst(nd, in, im.opset)
		if err != nil {
			return err
		}
		if c.alt, err = im.evalAlt(nd, in); err != nil {
			return err
		}
		c.gatherOf, c.gidx = im.paramIndex(nd, in)
		if typ == "Identity" && c.param != "" {
			c.param = nd.GetOutput()[0] // an initializer the exporter merged with an equal one: its own parameter
		}
		im.consts[nd.GetOutput()[0]] = c
		return nil
	}
	h, ok := handlers[typ]
	if !ok {
		return errUnsupported
	}
	return h(im, nd)
}

// handlers import the nodes that compute activations, by operator type.
var handlers map[string]func(*importer, *onnx.NodeProto) error

func init() {
	handlers = map[string]func(*importer, *onnx.NodeProto) error{
		"Identity": (*importer).alias, "Dropout": (*importer).alias, "Pad": (*importer).pad,
		"Flatten": (*importer).reshape, "Reshape": (*importer).reshape, "Transpose": (*importer).transpose,
		"Conv": (*importer).conv, "BatchNormalization": (*importer).batchNorm,
		"Relu": (*importer).activation, "Clip": (*importer).activation, "LeakyRelu": (*importer).activation,
		"Sigmoid": (*importer).activation, "HardSigmoid": (*importer).activation, "HardSwish": (*importer).activation,
		"Tanh": (*importer).activation,
		"Add":  (*importer).binary, "Mul": (*importer).binary, "Sub": (*importer).binary, "Div": (*importer).binary,
		"Concat": (*importer).concat, "Split": (*importer).split, "Slice": (*importer).slice,
		"MaxPool": (*importer).pool, "AveragePool": (*importer).pool, "GlobalAveragePool": (*importer).pool,
		"ReduceMean": (*importer).pool, "Gemm": (*importer).linear, "MatMul": (*importer).linear,
		"LayerNormalization": (*importer).layerNormalization,
		"Softmax":            (*importer).softmax, "Gather": (*importer).gather,
	}
}

// alias binds an Identity's or Dropout's output (evaluation mode: the identity) to its input.
func (im *importer) alias(nd *onnx.NodeProto) error {
	v, err := im.act(nd, 0)
	if err != nil {
		return err
	}
	im.vals[nd.GetOutput()[0]] = v
	return nil
}

// shapeOf evaluates Shape of an activation: [1, C, H, W] (batch 1) as the value is seen, sliced by
// the start and end attributes.
func (im *importer) shapeOf(nd *onnx.NodeProto, v value) error {
	s := im.net.Slots[v.slot]
	var dims []int
	switch {
	case v.tok != nil:
		dims = im.tokDims(v, 1)
	case v.flat:
		dims = []int{1, s[0] * s[1] * s[2]}
	case v.nhwc:
		dims = []int{1, s[1], s[2], s[0]}
	case v.groups != [2]int{} && v.swapped:
		dims = []int{1, v.groups[1], v.groups[0], s[1], s[2]}
	case v.groups != [2]int{}:
		dims = []int{1, v.groups[0], v.groups[1], s[1], s[2]}
	default:
		dims = []int{1, s[0], s[1], s[2]}
	}
	c := &constant{shape: []int{len(dims)}, isInt: true}
	for _, d := range dims {
		c.data = append(c.data, float64(d))
	}
	sl := &onnx.NodeProto{OpType: ptr("Slice"), Name: nd.Name}
	bounds := []*constant{{data: []float64{float64(nd.Int("start", 0))}}, {data: []float64{float64(nd.Int("end", int64(len(dims))))}}}
	cs, err := evalConst(sl, append([]*constant{c}, bounds...), im.opset)
	if err != nil {
		return err
	}
	alt := &constant{shape: c.shape, isInt: true, data: slices.Clone(c.data)} // the shadow evaluation: batch 2
	if v.tok != nil {
		alt.data = nil
		for _, d := range im.tokDims(v, 2) {
			alt.data = append(alt.data, float64(d))
		}
	} else {
		alt.data[0] = 2
	}
	if cs.alt, err = evalConst(sl, append([]*constant{alt}, bounds...), im.opset); err != nil {
		return err
	}
	im.consts[nd.GetOutput()[0]] = cs
	return nil
}

func ptr[T any](v T) *T { return &v }

// allConst reports whether every (present) input of nd is a load-time constant.
func (im *importer) allConst(nd *onnx.NodeProto) bool {
	for _, name := range nd.GetInput() {
		if name == "" {
			continue
		}
		if im.consts[name] == nil {
			return false
		}
	}
	return true
}

// constInput returns input i of nd as a constant, or nil when absent or empty.
func (im *importer) constInput(nd *onnx.NodeProto, i int) *constant {
	if i >= len(nd.GetInput()) || nd.GetInput()[i] == "" {
		return nil
	}
	return im.consts[nd.GetInput()[i]]
}
