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

// SupportedONNX lists the ONNX operators LoadONNX imports (the shape/constant ones only as
// load-time constants).
var SupportedONNX = []string{"Conv", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Add", "Mul",
	"Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape", "Gemm", "MatMul",
	"Identity", "Dropout", "Pad", "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Transpose", "Slice"}

// LoadONNX imports the network of an ONNX file (opsets 11–17): its layer graph, and its weights
// from the file's initializers, or from weightsFile (a safetensors state_dict with the same
// names; num_batches_tracked entries are ignored) when that is not "". Parameter roles come
// from the graph: Conv/Gemm/MatMul weights, their biases, batch-norm γ, β and running
// statistics; Params lists them in the order the graph first reads them (a PyTorch export's
// forward order). A graph with an operator not in SupportedONNX is an error naming the node.
func LoadONNX(file, weightsFile string) (*Net, *Weights, error) {
	m, err := onnx.Read(file)
	if err != nil {
		return nil, nil, err
	}
	if v := m.Opset(); v < 11 || v > 17 {
		return nil, nil, fmt.Errorf("%s: ONNX opset %d; landscape reads opsets 11 to 17: export with %s", file, v, ExportCall)
	}
	g := m.GetGraph()
	for _, nd := range g.GetNode() {
		if (nd.GetDomain() != "" && nd.GetDomain() != "ai.onnx") || !slices.Contains(SupportedONNX, nd.GetOpType()) {
			return nil, nil, fmt.Errorf("%s: %s is not supported; supported operators: %s", file, nd.Label(), strings.Join(SupportedONNX, ", "))
		}
	}
	im := &importer{file: file, opset: m.Opset(), consts: map[string]*constant{}, vals: map[string]value{},
		params: map[string]*Tensor{}, net: &Net{Name: filepath.Base(file), File: file}}
	if err := im.graph(g); err != nil {
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

// value is an activation of the graph: a slot, seen flat ([N, C·H·W]) after Flatten/Reshape,
// with zero padding still to apply (a Pad node, merged into the Conv or AveragePool after it).
type value struct {
	slot int
	flat bool
	pad  [4]int // top, left, bottom, right
}

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
}

func (im *importer) errorf(nd *onnx.NodeProto, format string, a ...any) error {
	return fmt.Errorf("%s: %s: %s", im.file, nd.Label(), fmt.Sprintf(format, a...))
}

// graph imports the initializers, the input, every node in order and the output.
func (im *importer) graph(g *onnx.GraphProto) error {
	im.lastLinear, im.uses = map[int]int{}, map[string]int{}
	for _, nd := range g.GetNode() {
		for _, in := range nd.GetInput() {
			im.uses[in]++
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
	n := im.net
	n.InC = dims[1]
	if dims[2] == dims[3] {
		n.HW = dims[2]
	}
	n.Slots = append(n.Slots, [3]int{dims[1], dims[2], dims[3]})
	im.vals[inputs[0].GetName()] = value{slot: 0}
	for _, nd := range g.GetNode() {
		if err := im.node(nd); err != nil {
			return err
		}
	}
	if len(g.GetOutput()) != 1 {
		return fmt.Errorf("%s: the graph has %d outputs; want one, the logits", im.file, len(g.GetOutput()))
	}
	out, ok := im.vals[g.GetOutput()[0].GetName()]
	if !ok || out.pad != [4]int{} {
		return fmt.Errorf("%s: graph output %q is not an activation computed from the input", im.file, g.GetOutput()[0].GetName())
	}
	s := n.Slots[out.slot]
	if !out.flat && (s[1] != 1 || s[2] != 1) {
		return fmt.Errorf("%s: graph output %q has shape [N, %d, %d, %d]; want logits [N, classes]", im.file, g.GetOutput()[0].GetName(), s[0], s[1], s[2])
	}
	n.Output, n.Classes = out.slot, s[0]*s[1]*s[2]
	if out.slot == 0 {
		return fmt.Errorf("%s: the graph output is its input", im.file)
	}
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
	v, err := im.act(nd, i)
	if err == nil && v.pad != [4]int{} {
		err = im.errorf(nd, "reads the output of a Pad node; a Pad may only precede a Conv or an AveragePool")
	}
	return v, err
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
		v, err := im.act(nd, 0)
		if err != nil {
			return err
		}
		s := im.net.Slots[v.slot]
		shape := []float64{1, float64(s[0]), float64(s[1]), float64(s[2])}
		if v.flat {
			shape = []float64{1, float64(s[0] * s[1] * s[2])}
		}
		c := &constant{data: shape, isInt: true}
		c.shape = []int{len(c.data)}
		cs, err := fold(&onnx.NodeProto{OpType: ptr("Slice"), Name: nd.Name}, []*constant{c,
			{data: []float64{float64(nd.Int("start", 0))}}, {data: []float64{float64(nd.Int("end", int64(len(shape))))}}}, im.opset)
		if err != nil {
			return err
		}
		im.consts[nd.GetOutput()[0]] = cs
		return nil
	}
	if foldable[typ] && im.allConst(nd) {
		in := make([]*constant, len(nd.GetInput()))
		for i, name := range nd.GetInput() {
			in[i] = im.consts[name]
		}
		c, err := fold(nd, in, im.opset)
		if err != nil {
			return fmt.Errorf("%s: %w", im.file, err)
		}
		if typ == "Identity" && c.param != "" {
			c.param = nd.GetOutput()[0] // an initializer the exporter merged with an equal one: its own parameter
		}
		im.consts[nd.GetOutput()[0]] = c
		return nil
	}
	switch typ {
	case "Identity", "Dropout":
		v, err := im.act(nd, 0)
		if err != nil {
			return err
		}
		im.vals[nd.GetOutput()[0]] = v
		return nil
	case "Pad":
		return im.pad(nd)
	case "Flatten", "Reshape":
		return im.flatten(nd)
	case "Conv":
		return im.conv(nd)
	case "BatchNormalization":
		return im.batchNorm(nd)
	case "Relu", "Clip", "LeakyRelu", "Sigmoid":
		return im.activation(nd)
	case "Add", "Mul":
		return im.binary(nd)
	case "Concat":
		return im.concat(nd)
	case "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean":
		return im.pool(nd)
	case "Gemm", "MatMul":
		return im.linear(nd)
	}
	return im.errorf(nd, "only supported on constants here (its input is computed from the image); supported operators: %s", strings.Join(SupportedONNX, ", "))
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
