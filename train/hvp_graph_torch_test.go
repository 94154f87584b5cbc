package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"landscape/data"
	"landscape/internal/testenv"
	"landscape/model"
)

// Hessian-vector products on imported graphs equal torch.autograd's double backward on the
// PyTorch modules the graphs were exported from (tools/onnx_nets.py, random weights and batch-norm
// statistics, exported by tools/torch_onnx_ref.py): a MobileNetV2 (depthwise convolutions,
// ReLU6, a squeeze-and-excitation gate with Sigmoid and Mul, standalone residual adds) and
// ExtOps (batch norm with ε 1e-3, HardSwish, SiLU, a HardSigmoid SE gate, GELU's tanh form,
// LayerNorm over channels, a layer-scale parameter, arithmetic with constants, a channel
// shuffle, chunk and a strided channel slice), over 8 images, with weights read from the
// ONNX file, for two random vectors matched by parameter name: to 1e-4 relative in float32 and
// 1e-9 in float64.
func TestHVPGraphMatchesPyTorch(t *testing.T) {
	py := testenv.Python(t, "torch", "numpy", "scipy", "onnx")
	dir := t.TempDir()
	if err := WriteSyntheticIDX(dir, 8, 10, 4); err != nil {
		t.Fatal(err)
	}
	spec := "fashion-mnist:" + dir
	set, err := data.Load(spec, data.Options{Split: "train", Limit: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, net := range []string{"mobilenetv2", "extops"} {
		t.Run(net, func(t *testing.T) {
			onnxFile, wFile := filepath.Join(dir, net+".onnx"), filepath.Join(dir, net+".safetensors")
			runPy(t, py, "../tools/torch_onnx_ref.py", "export", "--net", net, "--seed", "3", "--in-ch", "1", "--hw", "28",
				"--onnx", onnxFile, "--weights", wFile)
			n, w, err := model.LoadONNX(onnxFile, "")
			if err != nil {
				t.Fatal(err)
			}
			h32, err := NewHVP[float32](n, w, set, 5, 2)
			if err != nil {
				t.Fatal(err)
			}
			h64, err := NewHVP[float64](n, w, set, 8, 1)
			if err != nil {
				t.Fatal(err)
			}
			vs := [][]float64{randVec(31, h32.Dim()), randVec(32, h32.Dim())}
			ref := torchHVPByName(t, py, h32, "onnx:"+net, wFile, spec, "train", vs)
			for k, v := range vs {
				hv32, hv64 := make([]float64, h32.Dim()), make([]float64, h32.Dim())
				h32.Apply(v, hv32, nil)
				l64 := h64.Apply(v, hv64, nil)
				e32, e64 := relErr(hv32, ref.hv[k]), relErr(hv64, ref.hv[k])
				t.Logf("v%d: ‖H·v‖ %.4g, relative error float32 %.2g, float64 %.2g", k, norm2(ref.hv[k]), e32, e64)
				if !(e32 < 1e-4) || !(e64 < 1e-9) {
					t.Errorf("v%d: H·v differs from PyTorch's by %.3g (float32), %.3g (float64) relative", k, e32, e64)
				}
				if math.Abs(l64-ref.loss) > 1e-12*ref.loss {
					t.Errorf("loss %.15g, PyTorch %.15g", l64, ref.loss)
				}
			}
		})
	}
}

func runPy(t *testing.T, py string, args ...string) {
	t.Helper()
	if b, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", args[0], err, b)
	}
}

type torchHV struct {
	loss float64
	hv   [][]float64 // in h's parameter order
}

// torchHVPByName writes vs (rounded to float32) as v<k>.<parameter> tensors, runs
// tools/torch_hessian.py hvp in float64 on model (with the state_dict weights, on split of
// spec) and returns its
// products rearranged into h's parameter order, failing unless both sides have the same
// parameters.
func torchHVPByName[T Float](t *testing.T, py string, h *HVP[T], modelName, weights, spec, split string, vs [][]float64) torchHV {
	t.Helper()
	dir := t.TempDir()
	vecs := model.NewWeights()
	for k, v := range vs {
		for i, s := range h.Params {
			tv := model.NewTensor(fmt.Sprintf("v%d.%s", k, s.Name), s.Shape...)
			for j := range tv.Data {
				tv.Data[j] = float32(v[h.offset[i]+j])
				v[h.offset[i]+j] = float64(tv.Data[j])
			}
			vecs.Add(tv)
		}
	}
	vPath, out := filepath.Join(dir, "v.safetensors"), filepath.Join(dir, "hv.json")
	if err := model.WriteSafetensors(vPath, vecs, nil); err != nil {
		t.Fatal(err)
	}
	runPy(t, py, "../tools/torch_hessian.py", "hvp", "--model", modelName, "--weights", weights, "--data", spec, "--split", split,
		"--limit", fmt.Sprint(h.set.N), "--classes", fmt.Sprint(h.Model.Classes), "--vectors", vPath, "--out", out, "--double")
	var ref struct {
		Names []string
		Loss  float64
		HV    [][]float64 `json:"hv"`
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Names) != len(h.Params) || len(ref.HV) != len(vs) {
		t.Fatalf("PyTorch has %d parameters %v and %d products, we %d and %d", len(ref.Names), ref.Names, len(ref.HV), len(h.Params), len(vs))
	}
	res := torchHV{loss: ref.Loss}
	for _, flat := range ref.HV {
		ours, off := make([]float64, h.Dim()), 0
		for _, name := range ref.Names {
			o := h.Offset(name)
			if o < 0 {
				t.Fatalf("PyTorch parameter %q is not one of the graph's", name)
			}
			size := model.Numel(h.Params[h.index[name]].Shape)
			copy(ours[o:o+size], flat[off:off+size])
			off += size
		}
		res.hv = append(res.hv, ours)
	}
	return res
}
