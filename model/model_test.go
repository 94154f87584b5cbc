package model

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"landscape/internal/testenv"
)

// The zoo's state_dict names and shapes equal those of the independent PyTorch definitions
// (../shared/peer/nets.py) for every network, when PyTorch is installed.
func TestZooMatchesPyTorchStateDict(t *testing.T) {
	py := testenv.Python(t, "torch")
	groups := map[Config][]string{}
	for _, name := range ZooNames() {
		cfg := Config{InC: 3, HW: 32, Classes: 10}
		if strings.HasPrefix(name, "resnet") {
			cfg = Config{InC: 1, HW: 28, Classes: 7}
		}
		groups[cfg] = append(groups[cfg], name)
	}
	for cfg, names := range groups {
		out, err := exec.Command(py, "../tools/torch_ref.py", "names", "--model", strings.Join(names, ","),
			"--in-ch", itoa(cfg.InC), "--hw", itoa(cfg.HW), "--classes", itoa(cfg.Classes)).Output()
		if err != nil {
			t.Fatalf("%v: %v", names, err)
		}
		var all map[string][][2]any
		if err := json.Unmarshal(out, &all); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			checkStateDict(t, name, cfg, all[name])
		}
	}
}

func checkStateDict(t *testing.T, name string, cfg Config, want [][2]any) {
	n, err := Build(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Params) != len(want) {
		t.Errorf("%s: %d entries, PyTorch has %d", name, len(n.Params), len(want))
		return
	}
	for i, w := range want {
		var shape []int
		for _, d := range w[1].([]any) {
			shape = append(shape, int(d.(float64)))
		}
		if p := n.Params[i]; p.Name != w[0].(string) || !slices.Equal(p.Shape, shape) && !(len(p.Shape) == 0 && len(shape) == 0) {
			t.Errorf("%s entry %d: %s %v, PyTorch %s %v", name, i, p.Name, p.Shape, w[0], shape)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBuildShapes(t *testing.T) {
	n, err := Build("resnet56", Config{InC: 3, HW: 32, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	// 55 convolutions (1 + 54) + 2 projection shortcuts, as the paper's ResNet-56.
	convs := 0
	for _, op := range n.Ops {
		if op.Kind == OpConv {
			convs++
		}
	}
	if convs != 57 || n.Slots[n.Output] != [3]int{10, 1, 1} {
		t.Errorf("resnet56: %d convs, output %v", convs, n.Slots[n.Output])
	}
	// ResNet-56 forward: about 125.8 M multiply-adds per 32x32 image.
	if f := n.FLOPs() / 2e6; f < 125 || f > 127 {
		t.Errorf("resnet56 MACs %.1f M", f)
	}
	v, _ := Build("vgg9", Config{InC: 1, HW: 28, Classes: 10})
	if s := v.Spec("fc.0.weight"); s == nil || !slices.Equal(s.Shape, []int{256, 256 * 4 * 4}) {
		t.Errorf("vgg9 28x28 fc.0 %v", s)
	}
	for _, bad := range []string{"resnet21", "resnet2", "wrn56-0", "vgg11", "resnet20-short"} {
		if _, err := Build(bad, Config{InC: 3, HW: 32, Classes: 10}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Build(%q): %v", bad, err)
		}
	}
}

func TestCompilePlan(t *testing.T) {
	for _, name := range []string{"resnet20", "resnet20-noshort", "vgg9", "wrn56-2"} {
		n, _ := Build(name, Config{InC: 3, HW: 32, Classes: 10})
		p, err := Compile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Layers {
			if l.Kind == OpConv && l.BN == "" {
				t.Errorf("%s: conv %s without folded BN", name, l.Weight)
			}
			if l.Out == l.In || (l.Residual >= 0 && l.Out == l.Residual) {
				t.Errorf("%s: layer %s writes a buffer it reads", name, l.Weight)
			}
		}
		if len(p.Buffers) > 5 {
			t.Errorf("%s: %d buffers; liveness should need few", name, len(p.Buffers))
		}
		res := 0
		for _, l := range p.Layers {
			if l.Residual >= 0 {
				res++
			}
		}
		want := map[string]int{"resnet20": 9, "resnet20-noshort": 0, "vgg9": 0, "wrn56-2": 27}[name]
		if res != want {
			t.Errorf("%s: %d residual adds fused, want %d", name, res, want)
		}
	}
}

func TestSafetensorsRoundTripAndI64(t *testing.T) {
	w := NewWeights()
	a := NewTensor("a.weight", 2, 3)
	for i := range a.Data {
		a.Data[i] = float32(i) - 2.5
	}
	w.Add(a)
	w.Add(&Tensor{Name: "bn.num_batches_tracked", Shape: []int{}, Data: []float32{7}})
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteSafetensors(path, w, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	r, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["k"] != "v" || !slices.Equal(r.Names, w.Names) || !slices.Equal(r.Get("a.weight").Data, a.Data) || r.Get("bn.num_batches_tracked").Data[0] != 7 {
		t.Fatalf("round trip: %+v %v", r, meta)
	}
	raw, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(raw)
	if !strings.Contains(string(raw[8:8+n]), `"I64"`) {
		t.Error("num_batches_tracked not stored as I64")
	}
}

func TestSafetensorsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	header := func(js string, body int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
		return append(append(b, js...), make([]byte, body)...)
	}
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"short":     {[]byte{1, 2}, "too short"},
		"hugehdr":   {binary.LittleEndian.AppendUint64(nil, 1<<40), "exceeds"},
		"badjson":   {header("{not json", 0), "header JSON"},
		"dtype":     {header(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4), "dtype F16"},
		"truncated": {header(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), "truncated"},
		"size":      {header(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes"},
	}
	for name, c := range cases {
		p := write(name+".safetensors", c.b)
		_, _, err := ReadSafetensors(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, c.want)
		}
	}
}

func TestCheckWeights(t *testing.T) {
	n, _ := Build("resnet8", Config{InC: 1, HW: 8, Classes: 10})
	w := Init(n, 1)
	if err := n.CheckWeights(w, "f"); err != nil {
		t.Fatal(err)
	}
	w.Tensors["linear.bias"] = NewTensor("linear.bias", 11)
	err := n.CheckWeights(w, "f.safetensors")
	if err == nil || !strings.Contains(err.Error(), `"linear.bias" has shape [11], want [10]`) || !strings.Contains(err.Error(), "f.safetensors") {
		t.Errorf("error %v", err)
	}
}
