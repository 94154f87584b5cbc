package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/internal/testenv"
	"landscape/model"
	"landscape/surface"
)

// needTorch skips the test where /usr/bin/python3 lacks PyTorch or numpy, or fails it where they
// are required (testenv.Python). The reference networks are the repository's (tools/nets.py).
func needTorch(t *testing.T) {
	t.Helper()
	testenv.Python(t, "torch", "numpy")
}

// runPython runs /usr/bin/python3 with args (a script and its arguments, or -c and a program),
// fails the test with the output on error, and returns the output.
func runPython(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.PythonPath, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runTool runs the repository's tools/<script> (torch_ref.py, torch_onnx_ref.py, …) with args.
func runTool(t *testing.T, script string, args ...string) string {
	t.Helper()
	return runPython(t, append([]string{"../../tools/" + script}, args...)...)
}

// export writes PyTorch-initialised weights (nets.py) with non-trivial batch-norm statistics.
func export(t *testing.T, dir, name string, inC, hw int, seed int, varScale float64) string {
	path := filepath.Join(dir, fmt.Sprintf("%s_%d.safetensors", name, seed))
	runTool(t, "torch_ref.py", "export", "--model", name, "--in-ch", fmt.Sprint(inC), "--hw", fmt.Sprint(hw),
		"--seed", fmt.Sprint(seed), "--var-scale", fmt.Sprint(varScale), "--out", path)
	return path
}

// compareTorch evaluates every point of the surface file in PyTorch (tools/torch_ref.py) with
// the saved directions and checks the scan against it (checkTorch).
func compareTorch(t *testing.T, npz, model, weights, dirs, dataSpec string, limit int) *surface.Surface {
	t.Helper()
	return checkTorch(t, model, npz, func(sf *surface.Surface, points, res string) {
		runTool(t, "torch_ref.py", "eval", "--model", model, "--weights", weights, "--dirs", dirs, "--data", dataSpec,
			"--split", sf.Split, "--limit", fmt.Sprint(limit), "--points="+points, "--out", res)
	})
}

// checkTorch loads surface file npz, has eval write PyTorch's loss and accuracy at each of its
// points ("a,b;a,b;…") as JSON to res, and checks every point: computed, loss within 2e-4
// relative of PyTorch's (non-finite where PyTorch's is), accuracy within one example. label
// names the network in the messages.
func checkTorch(t *testing.T, label, npz string, eval func(sf *surface.Surface, points, res string)) *surface.Surface {
	t.Helper()
	sf, err := surface.Load(npz)
	if err != nil {
		t.Fatal(err)
	}
	var pts []string
	for k := range sf.Len() {
		a, b := sf.Coord(k)
		pts = append(pts, fmt.Sprintf("%g,%g", a, b))
	}
	res := filepath.Join(filepath.Dir(npz), "torch.json")
	eval(sf, strings.Join(pts, ";"), res)
	raw, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	var want []struct{ Loss, Acc float64 }
	// json has no NaN: the reference scripts write NaN/Infinity, which Go's decoder rejects; map them.
	fixed := strings.NewReplacer("-Infinity", "\"-Inf\"", "Infinity", "\"+Inf\"", "NaN", "\"NaN\"").Replace(string(raw))
	var rawVals []map[string]any
	if err := json.Unmarshal([]byte(fixed), &rawVals); err != nil {
		t.Fatalf("%s: %v", res, err)
	}
	num := func(v any) float64 {
		if s, ok := v.(string); ok {
			f, _ := parseFloat(s)
			return f
		}
		return v.(float64)
	}
	for _, m := range rawVals {
		want = append(want, struct{ Loss, Acc float64 }{num(m["loss"]), num(m["acc"])})
	}
	if len(want) != sf.Len() {
		t.Fatalf("PyTorch evaluated %d points, the surface has %d", len(want), sf.Len())
	}
	oneExample := 100/float64(sf.Settings.Examples) + 1e-9
	worst := 0.0
	defer func() {
		t.Logf("%s (%s): largest loss difference from PyTorch %.2g relative", label, sf.Settings.CPUKernel, worst)
	}()
	for k, w := range want {
		got := sf.Loss[k]
		a, b := sf.Coord(k)
		finite := !math.IsNaN(w.Loss) && !math.IsInf(w.Loss, 0)
		if finite {
			worst = max(worst, math.Abs(got-w.Loss)/math.Abs(w.Loss))
		}
		switch {
		case !sf.Computed[k]:
			t.Errorf("%s point (%g,%g) not computed", label, a, b)
		case finite && !(math.Abs(got-w.Loss) <= 2e-4*math.Abs(w.Loss)):
			t.Errorf("%s point (%g,%g): loss %.7g, PyTorch %.7g (rel %.2g)", label, a, b, got, w.Loss, math.Abs(got-w.Loss)/math.Abs(w.Loss))
		case !finite && !(math.IsNaN(got) || math.IsInf(got, 0)):
			t.Errorf("%s point (%g,%g): loss %.7g, PyTorch diverged (%v)", label, a, b, got, w.Loss)
		}
		if math.Abs(sf.Acc[k]-w.Acc) > oneExample {
			t.Errorf("%s point (%g,%g): accuracy %.3f%%, PyTorch %.3f%%", label, a, b, sf.Acc[k], w.Acc)
		}
	}
	return sf
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}

func needFashion(t *testing.T) string {
	t.Helper()
	return "fashion-mnist:" + testenv.FashionDir(t)
}

func TestTorchResNet20FilterNorm2D(t *testing.T) {
	needTorch(t)
	spec := needFashion(t)
	dir := t.TempDir()
	w := export(t, dir, "resnet20", 1, 28, 1, 1)
	out, dirs := filepath.Join(dir, "s.npz"), filepath.Join(dir, "d.safetensors")
	mustRun(t, "scan", "--model", "resnet20", "--weights", w, "--data", spec, "--split", "test", "--limit", "100",
		"--x", "-1:1:3", "--y", "-1:1:3", "--out", out, "--save-dirs", dirs, "--device", "cpu")
	compareTorch(t, out, "resnet20", w, dirs, spec, 100)
}

func TestTorchResNet20NoShortLayerNormCopiedBN(t *testing.T) {
	needTorch(t)
	spec := needFashion(t)
	dir := t.TempDir()
	w := export(t, dir, "resnet20-noshort", 1, 28, 2, 1)
	out, dirs := filepath.Join(dir, "s.npz"), filepath.Join(dir, "d.safetensors")
	mustRun(t, "scan", "--model", "resnet20-noshort", "--weights", w, "--data", spec, "--split", "train", "--limit", "80",
		"--x", "-0.5:0.5:3", "--y", "-0.5:0.5:2", "--norm", "layer", "--ignore", "none", "--seed", "5", "--out", out, "--save-dirs", dirs)
	compareTorch(t, out, "resnet20-noshort", w, dirs, spec, 80)
}

func TestTorchVGG9CIFARFormat(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	spec := writeCIFAR(t, dir, 40)
	w := export(t, dir, "vgg9", 3, 32, 3, 1)
	out, dirs := filepath.Join(dir, "s.npz"), filepath.Join(dir, "d.safetensors")
	mustRun(t, "scan", "--model", "vgg9", "--weights", w, "--data", spec, "--split", "test",
		"--x", "-1:1:4", "--ignore", "none", "--out", out, "--save-dirs", dirs)
	compareTorch(t, out, "vgg9", w, dirs, spec, 0)
}

// 1D interpolation between two solutions in states mode: past α = 1 the interpolated running
// variance turns negative and the loss diverges; the scan records it and goes on.
func TestTorchInterpolationStatesDiverges(t *testing.T) {
	needTorch(t)
	spec := needFashion(t)
	dir := t.TempDir()
	w1 := export(t, dir, "resnet20", 1, 28, 4, 1)
	w2 := export(t, dir, "resnet20", 1, 28, 5, 0.05)
	out, dirs := filepath.Join(dir, "s.npz"), filepath.Join(dir, "d.safetensors")
	mustRun(t, "scan", "--model", "resnet20", "--weights", w1, "--weights2", w2, "--data", spec, "--split", "test",
		"--limit", "60", "--x", "-0.5:2:6", "--dir-type", "states", "--out", out, "--save-dirs", dirs)
	sf := compareTorch(t, out, "resnet20", w1, dirs, spec, 60)
	last := sf.Len() - 1
	if !sf.Computed[last] || !(math.IsNaN(sf.Loss[last]) || math.IsInf(sf.Loss[last], 0)) {
		t.Errorf("α = 2 should diverge (negative running variance); loss %v", sf.Loss[last])
	}
	if l := sf.Loss[0]; math.IsNaN(l) || math.IsInf(l, 0) {
		t.Errorf("α = -0.5 should not diverge; loss %v", l)
	}
}

// A checkpoint as the paper's training code saves it ({"state_dict": ..., "acc": ...}, with
// nn.DataParallel's "module." prefix) converts to the same tensors scan reads.
func TestTorchCheckpointConversion(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	w := export(t, dir, "resnet20-noshort", 3, 32, 6, 1)
	ckpt, conv := filepath.Join(dir, "model_300.t7"), filepath.Join(dir, "conv.safetensors")
	script := `
import sys, torch
sys.path.insert(0, "../../tools")
from torchio import st_read
sd = {"module." + k: torch.from_numpy(v) for k, v in st_read(sys.argv[1]).items()}
torch.save({"state_dict": sd, "acc": 91.0, "epoch": 300}, sys.argv[2])`
	runPython(t, "-c", script, w, ckpt)
	runTool(t, "torch2safetensors.py", ckpt, conv)
	a, _, err := model.ReadSafetensors(w)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := model.ReadSafetensors(conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Names) != len(b.Names) {
		t.Fatalf("%d tensors, want %d", len(b.Names), len(a.Names))
	}
	for _, n := range a.Names {
		x, y := a.Get(n), b.Get(n)
		if y == nil || !slices.Equal(x.Data, y.Data) || !slices.Equal(x.Shape, y.Shape) {
			t.Errorf("tensor %s differs after conversion", n)
		}
	}
	n, _, err := model.Load("resnet20-noshort", conv, 32)
	if err != nil || n.InC != 3 {
		t.Errorf("converted file does not load: %v", err)
	}
}
