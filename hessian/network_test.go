package hessian

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"landscape/data"
	"landscape/internal/testenv"
	"landscape/model"
	"landscape/train"
)

func build(t *testing.T, name string, c model.Config) *model.Net {
	t.Helper()
	n, err := model.Build(name, c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// λmax, the second eigenvalue and λmin of small zoo networks' Hessians (mean cross-entropy
// over 64 images, evaluation-mode batch norm) from our float32 products and Lanczos equal
// scipy's eigsh on torch.autograd's float64 products to 1e-3 relative (λmin: 1e-3 of λmax).
func TestEigenvaluesMatchPyTorch(t *testing.T) {
	py := testenv.Python(t, "torch", "numpy", "scipy")
	dir := t.TempDir()
	if err := train.WriteSyntheticIDX(dir, 64, 10, 3); err != nil {
		t.Fatal(err)
	}
	spec := "fashion-mnist:" + dir
	set, err := data.Load(spec, data.Options{Limit: 64})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"resnet8-c2", "resnet8-c2-noshort", "vgg5-c2"} {
		t.Run(name, func(t *testing.T) {
			n := build(t, name, model.Config{InC: 1, HW: 28, Classes: 10})
			w := model.Init(n, 17)
			wPath, out := filepath.Join(dir, name+".safetensors"), filepath.Join(dir, name+".json")
			if err := model.WriteSafetensors(wPath, w, nil); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(py, "../tools/torch_hessian.py", "eig", "--model", name, "--weights", wPath,
				"--data", spec, "--limit", "64", "--k", "2", "--out", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("torch_hessian.py: %v\n%s", err, b)
			}
			var ref struct {
				Top []float64
				Min float64
				Dim int
			}
			b, _ := os.ReadFile(out)
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			h, err := train.NewHVP[float32](n, w, set, 32, 2)
			if err != nil {
				t.Fatal(err)
			}
			if h.Dim() != ref.Dim {
				t.Fatalf("%d parameters, PyTorch %d", h.Dim(), ref.Dim)
			}
			res, err := TopEigenvalues(Network(h), 2, Options{Tol: 1e-6, Seed: 1, MaxSteps: 400})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("ours top %v min %.6g (%d steps, converged %v); eigsh top %v min %.6g", res.Top, res.Min, res.Steps, res.Converged, ref.Top, ref.Min)
			for i := range ref.Top {
				if math.Abs(res.Top[i]-ref.Top[i]) > 1e-3*math.Abs(ref.Top[i]) {
					t.Errorf("eigenvalue %d: %.7g, eigsh %.7g", i, res.Top[i], ref.Top[i])
				}
			}
			if math.Abs(res.Min-ref.Min) > 1e-3*math.Abs(ref.Top[0]) {
				t.Errorf("smallest eigenvalue %.7g, eigsh %.7g", res.Min, ref.Min)
			}
		})
	}
}

// On a tiny network whose Hessian is formed explicitly (one float64 product per unit vector),
// Hutchinson's estimate from float32 products lies within four standard errors of the exact
// trace, and Lanczos's extremes equal the explicit matrix's (gonum EigenSym) to 1e-4 relative.
func TestTraceAndExtremesOfExplicitHessian(t *testing.T) {
	n := build(t, "resnet8-c2", model.Config{InC: 2, HW: 8, Classes: 3})
	w := model.Init(n, 5)
	set := data.Synthetic(12, 2, 8, 8, 3, 6)
	h64, err := train.NewHVP[float64](n, w, set, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	dim := h64.Dim()
	var exact float64
	e, col := make([]float64, dim), make([]float64, dim)
	full := make([][]float64, dim)
	for i := range dim {
		clear(e)
		e[i] = 1
		h64.Apply(e, col, nil)
		exact += col[i]
		full[i] = append([]float64(nil), col...)
	}
	h32, err := train.NewHVP[float32](n, w, set, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := HutchinsonTrace(Network(h32), 0.05, 1000, Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d parameters: exact trace %.6g, Hutchinson %.6g ± %.3g (%d samples)", dim, exact, tr.Estimate, tr.StdErr, tr.Samples)
	if math.Abs(tr.Estimate-exact) > 4*tr.StdErr || tr.Samples < 10 {
		t.Errorf("trace %g ± %g (%d samples), exact %g", tr.Estimate, tr.StdErr, tr.Samples, exact)
	}
	sym := dense{symmetrise(full)}
	want, _ := TopEigenvalues(sym, 1, Options{Tol: 1e-10, MaxSteps: dim})
	got, err := TopEigenvalues(Network(h32), 1, Options{Tol: 1e-6, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	vals := eigenSym(sym)
	if math.Abs(want.Top[0]-vals[len(vals)-1]) > 1e-9*math.Abs(vals[len(vals)-1]) {
		t.Fatalf("Lanczos on the explicit matrix %g, EigenSym %g", want.Top[0], vals[len(vals)-1])
	}
	if math.Abs(got.Top[0]-vals[len(vals)-1]) > 1e-4*math.Abs(vals[len(vals)-1]) || math.Abs(got.Min-vals[0]) > 1e-4*math.Abs(vals[len(vals)-1]) {
		t.Errorf("λmax %g λmin %g, explicit Hessian %g and %g", got.Top[0], got.Min, vals[len(vals)-1], vals[0])
	}
}
