package model_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"landscape/internal/enginetest"
	"landscape/internal/fuzzseed"
	"landscape/model"
	"landscape/onnx"
)

func onnxSeeds(t testing.TB) []fuzzseed.Seed {
	dir := t.TempDir()
	cases, err := enginetest.GraphCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	mixed, _ := os.ReadFile(cases[0].Model)
	preact, _ := os.ReadFile(cases[2].Model)
	zoo, err := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, out := enginetest.ZooGraph(zoo, model.Init(zoo, 1))
	p := filepath.Join(dir, "zoo.onnx")
	if err := b.Write(p, out, 3); err != nil {
		t.Fatal(err)
	}
	resnet, _ := os.ReadFile(p)
	// the mixed graph with an initializer claiming 2^31 × 2^31 elements, and one with a
	// negative dimension
	edit := func(f func(*onnx.TensorProto)) []byte {
		m, err := onnx.Decode(mixed, "mixed.onnx")
		if err != nil {
			t.Fatal(err)
		}
		f(m.GetGraph().GetInitializer()[0])
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	flipped := bytes.Clone(mixed)
	flipped[len(flipped)/2] ^= 0x40
	seeds := []fuzzseed.Seed{
		fuzzseed.New("mixed", mixed),
		fuzzseed.New("preact", preact),
		fuzzseed.New("resnet8", resnet),
		fuzzseed.New("huge-dims", edit(func(t *onnx.TensorProto) { t.Dims = []int64{1 << 31, 1 << 31} })),
		fuzzseed.New("negative-dim", edit(func(t *onnx.TensorProto) { t.Dims = []int64{-1, 4} })),
		fuzzseed.New("byte-flipped", flipped),
		fuzzseed.New("cut", mixed[:len(mixed)*2/3]),
		fuzzseed.New("empty", []byte{}),
	}
	seeds = append(append(seeds, attentionSeeds(t, dir)...), constEvalSeeds(t, dir)...)
	return append(seeds, hugeInputSeeds(t, seeds)...)
}

// hugeInputSeeds are the mixed CNN and Swin graphs with an input of 2^31 × 2^31 and 65536 ×
// 65536 pixels: the first was imported (activations of 2^62 values, past an int's reach in
// the engines' sizes), the second ran out of memory building Swin's pixel maps.
func hugeInputSeeds(t testing.TB, seeds []fuzzseed.Seed) []fuzzseed.Seed {
	var out []fuzzseed.Seed
	for _, s := range seeds {
		hw := map[string]int64{"mixed": 1 << 31, "swin_block13": 1 << 16}[s.Name]
		if hw == 0 {
			continue
		}
		m, err := onnx.Decode(s.Args[0].([]byte), s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[2:] {
			d.Value = &onnx.TensorShapeProto_Dimension_DimValue{DimValue: hw}
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fuzzseed.New(s.Name+"-huge-input", b))
	}
	return out
}

// A graph whose input claims more than 2^28 values per image is refused before anything is
// built for it.
func TestONNXHugeInput(t *testing.T) {
	seeds := onnxSeeds(t)
	for _, s := range hugeInputSeeds(t, seeds) {
		p := filepath.Join(t.TempDir(), s.Name+".onnx")
		os.WriteFile(p, s.Args[0].([]byte), 0o644)
		_, _, err := model.LoadONNX(p, "")
		if err == nil || !strings.Contains(err.Error(), "holds more than 268435456 values per image") {
			t.Errorf("%s: %v, want a too-large input", s.Name, err)
		}
	}
}

// constEvalSeeds are graphs whose load-time constants ask for too much: a ConstantOfShape of
// a negative dimension (a makeslice panic before) and a Range of step 1e-300 (a loop without
// end before), each added to the input as a broadcast constant.
func constEvalSeeds(t testing.TB, dir string) []fuzzseed.Seed {
	graph := func(name string, constant func(b *enginetest.GraphBuilder) string) fuzzseed.Seed {
		b := enginetest.NewGraph(-1, 1, 2, 2)
		x := b.Node("Add", []string{"input", constant(b)})
		x = b.Node("Flatten", []string{x}, enginetest.AInt("axis", 1))
		x = b.Node("Gemm", []string{x, b.Init("fc.weight", false, 3, 4), b.Init("fc.bias", false, 3)}, enginetest.AInt("transB", 1))
		p := filepath.Join(dir, name+".onnx")
		if err := b.Write(p, x, 3); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return fuzzseed.New(name, data)
	}
	return []fuzzseed.Seed{
		graph("constantofshape-negative", func(b *enginetest.GraphBuilder) string {
			return b.Node("ConstantOfShape", []string{b.Ints("shape", -1)})
		}),
		graph("range-endless", func(b *enginetest.GraphBuilder) string {
			return b.Node("Range", []string{b.Scalar(0), b.Scalar(1), b.Scalar(1e-30)})
		}),
	}
}

// attentionSeeds are the graphs of the operators added for torchvision's MobileNetV3,
// EfficientNet, ConvNeXt, ViT and Swin (LayerNorm, GELU, attention's MatMuls and Softmax,
// windowed attention, constant folding of Shape/Gather/Concat chains): valid, so that the
// fuzzer mutates the code paths of those operators, not only the CNN ones.
func attentionSeeds(t testing.TB, dir string) []fuzzseed.Seed {
	var seeds []fuzzseed.Seed
	for _, cases := range []func(string) ([]enginetest.Case, error){enginetest.ExtGraphCases, enginetest.ViTGraphCases, enginetest.SwinGraphCases} {
		cs, err := cases(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			name := strings.TrimSuffix(filepath.Base(c.Model), ".onnx")
			if slices.ContainsFunc(seeds, func(s fuzzseed.Seed) bool { return s.Name == name }) {
				continue // one seed per graph, not per direction type
			}
			b, err := os.ReadFile(c.Model)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, fuzzseed.New(name, b))
		}
	}
	return seeds
}

func TestONNXSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzONNX", onnxSeeds(t)) }

// FuzzONNX: any bytes as an ONNX model file (model.LoadONNX, then Compile as a scan does).
// Property: no panic and no hang; either a clear error or a network whose every parameter
// has the data its shape needs, with no more weights than the file's bytes can hold
// (initializer dims are checked against raw_data and *_data lengths before allocating).
func FuzzONNX(f *testing.F) {
	fuzzseed.Add(f, onnxSeeds(f))
	path := filepath.Join(f.TempDir(), "fuzz.onnx")
	model.WarnOutput = bytes.NewBuffer(nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		n, w, err := model.LoadONNX(path, "")
		if err != nil {
			return
		}
		total := 0
		for _, p := range n.Params {
			tn := w.Tensors[p.Name]
			if tn == nil || len(tn.Data) != model.Numel(p.Shape) {
				t.Fatalf("parameter %s of shape %v: tensor %v", p.Name, p.Shape, tn)
			}
			total += len(tn.Data)
		}
		if total > len(b) { // float_data packs 4 bytes per element, raw_data 4 or 8
			t.Fatalf("%d weights from %d bytes", total, len(b))
		}
		model.Compile(n)
	})
}
