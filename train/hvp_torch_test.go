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

// Hessian-vector products of the mean cross-entropy over 40 images (batch norm in evaluation
// mode, with non-trivial running statistics) equal torch.autograd's double backward on the
// independent PyTorch definitions of the networks, in float64, for three random vectors: to
// 1e-4 relative for our float32 products and to 1e-9 for our float64 ones.
func TestHVPMatchesPyTorch(t *testing.T) {
	py := testenv.Python(t, "torch", "numpy", "scipy")
	dir := t.TempDir()
	if err := WriteSyntheticIDX(dir, 40, 10, 3); err != nil {
		t.Fatal(err)
	}
	spec := "fashion-mnist:" + dir
	set, err := data.Load(spec, data.Options{Split: "train", Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"resnet8-c2", "vgg5-c2"} {
		t.Run(name, func(t *testing.T) {
			n := buildNet(t, name, model.Config{InC: 1, HW: 28, Classes: 10})
			w := model.Init(n, 11)
			wPath := filepath.Join(dir, name+".safetensors")
			if err := model.WriteSafetensors(wPath, w, nil); err != nil {
				t.Fatal(err)
			}
			h32, err := NewHVP[float32](n, w, set, 16, 2)
			if err != nil {
				t.Fatal(err)
			}
			h64, err := NewHVP[float64](n, w, set, 40, 1)
			if err != nil {
				t.Fatal(err)
			}
			vPath, out := filepath.Join(dir, name+"_v.safetensors"), filepath.Join(dir, name+"_hv.json")
			vs := writeVectors(t, vPath, h32, 3)
			ref := torchHVP(t, py, out, "--model", name, "--weights", wPath, "--data", spec, "--limit", "40", "--vectors", vPath)
			if len(ref.Names) != len(h32.Params) || len(ref.HV) != len(vs) {
				t.Fatalf("PyTorch has %d parameters and %d products, we %d and %d", len(ref.Names), len(ref.HV), len(h32.Params), len(vs))
			}
			for i, s := range h32.Params {
				if ref.Names[i] != s.Name {
					t.Fatalf("parameter %d: PyTorch %s, we %s", i, ref.Names[i], s.Name)
				}
			}
			for k, v := range vs {
				hv32, hv64 := make([]float64, h32.Dim()), make([]float64, h32.Dim())
				l32 := h32.Apply(v, hv32, nil)
				l64 := h64.Apply(v, hv64, nil)
				if e := relErr(hv32, ref.HV[k]); !(e < 1e-4) {
					t.Errorf("v%d: float32 H·v differs from PyTorch's by %.3g relative", k, e)
				}
				if e := relErr(hv64, ref.HV[k]); !(e < 1e-9) {
					t.Errorf("v%d: float64 H·v differs from PyTorch's by %.3g relative", k, e)
				}
				if math.Abs(l32-ref.Loss) > 1e-5*ref.Loss || math.Abs(l64-ref.Loss) > 1e-12*ref.Loss {
					t.Errorf("loss %.10g (float32), %.15g (float64), PyTorch %.15g", l32, l64, ref.Loss)
				}
			}
		})
	}
}

// writeVectors writes n random vectors over h's parameters to path (v<k>.<name> tensors, as
// torch_hessian.py hvp reads them) and returns them, rounded to float32 as written.
func writeVectors[T Float](t *testing.T, path string, h *HVP[T], n int) [][]float64 {
	t.Helper()
	vecs := model.NewWeights()
	var vs [][]float64
	for k := range n {
		v := randVec(uint64(20+k), h.Dim())
		for i, s := range h.Params {
			tv := model.NewTensor(fmt.Sprintf("v%d.%s", k, s.Name), s.Shape...)
			for j := range tv.Data {
				tv.Data[j] = float32(v[h.offset[i]+j])
				v[h.offset[i]+j] = float64(tv.Data[j])
			}
			vecs.Add(tv)
		}
		vs = append(vs, v)
	}
	if err := model.WriteSafetensors(path, vecs, nil); err != nil {
		t.Fatal(err)
	}
	return vs
}

// torchHVP runs torch_hessian.py hvp args... --out out --double and returns what it wrote
// to out: the parameter names, the loss and the products.
func torchHVP(t *testing.T, py, out string, args ...string) (ref struct {
	Names []string
	Loss  float64
	HV    [][]float64 `json:"hv"`
}) {
	t.Helper()
	cmd := exec.Command(py, append(append([]string{"../tools/torch_hessian.py", "hvp"}, args...), "--out", out, "--double")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_hessian.py: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}
