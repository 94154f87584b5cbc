package trajectory

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"landscape/direction"
	"landscape/internal/testenv"
	"landscape/model"
)

// checkpoints writes final weights and n checkpoints along a noisy curved path to dir.
func checkpoints(t *testing.T, dir, name string, n int) (*model.Net, string, []string) {
	t.Helper()
	net, err := model.Build(name, model.Config{InC: 1, HW: 28, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	final := model.Init(net, 1)
	a, b := model.Init(net, 2), model.Init(net, 3)
	r := rand.New(rand.NewPCG(4, 4))
	fp := filepath.Join(dir, "final.safetensors")
	if err := model.WriteSafetensors(fp, final, nil); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range n {
		s := float64(n-i) / float64(n)
		w := model.NewWeights()
		for _, nm := range final.Names {
			f := final.Tensors[nm]
			c := f.Clone()
			for j := range c.Data {
				c.Data[j] = f.Data[j] + float32(s*float64(a.Tensors[nm].Data[j])+s*s*float64(b.Tensors[nm].Data[j])+0.01*r.NormFloat64())
			}
			w.Add(c)
		}
		p := filepath.Join(dir, fmt.Sprintf("ckpt%d.safetensors", i))
		if err := model.WriteSafetensors(p, w, nil); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return net, fp, paths
}

func flat(w *model.Weights, entries []model.ParamSpec) []float64 {
	var out []float64
	for _, p := range entries {
		for _, v := range w.Get(p.Name).Data {
			out = append(out, float64(v))
		}
	}
	return out
}

// The directions, explained variances and ratios, and projections equal numpy's SVD of the
// same matrix (built by tools/pca_ref.py from the files) to 1e-5, up to each direction's sign.
func TestPCAMatchesNumpy(t *testing.T) {
	py := testenv.Python(t, "numpy")
	for _, c := range []struct{ model, ignore string }{{"resnet8-c2", "biasbn"}, {"vgg5-c2", "none"}} {
		t.Run(c.model+"/"+c.ignore, func(t *testing.T) {
			dir := t.TempDir()
			net, final, ckpts := checkpoints(t, dir, c.model, 6)
			r, err := FromFiles(c.model, final, ckpts, c.ignore, 0)
			if err != nil {
				t.Fatal(err)
			}
			entries := direction.Entries(net, "weights")
			var names []string
			for _, p := range entries {
				names = append(names, p.Name)
			}
			out := filepath.Join(dir, "ref.json")
			cmd := exec.Command(py, "../tools/pca_ref.py", "--final", final, "--checkpoints", strings.Join(ckpts, ","),
				"--names", strings.Join(names, ","), "--ignore", c.ignore, "--out", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("pca_ref.py: %v\n%s", err, b)
			}
			var ref struct {
				Components                              [][]float64
				ExplainedVariance, ExplainedVarianceRat []float64
				ProjX                                   []float64 `json:"proj_x"`
				ProjY                                   []float64 `json:"proj_y"`
			}
			b, _ := os.ReadFile(out)
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			json.Unmarshal(b, &raw)
			ratios := raw["explained_variance_ratio"].([]any)
			evs := raw["explained_variance"].([]any)
			for k, d := range []*model.Weights{r.X, r.Y} {
				got := flat(d, entries)
				sign := 1.0
				if dotp(got, ref.Components[k]) < 0 {
					sign = -1
				}
				var maxDiff float64
				for j := range got {
					maxDiff = max(maxDiff, math.Abs(sign*got[j]-ref.Components[k][j]))
				}
				if maxDiff > 1e-5 {
					t.Errorf("component %d differs from numpy's by up to %g", k, maxDiff)
				}
				if rr := ratios[k].(float64); math.Abs(r.ExplainedVarianceRatio[k]-rr) > 1e-5 {
					t.Errorf("explained variance ratio %d: %g, numpy %g", k, r.ExplainedVarianceRatio[k], rr)
				}
				if ev := evs[k].(float64); math.Abs(r.ExplainedVariance[k]-ev) > 1e-5*ev {
					t.Errorf("explained variance %d: %g, numpy %g", k, r.ExplainedVariance[k], ev)
				}
				proj, refProj := r.ProjX, ref.ProjX
				if k == 1 {
					proj, refProj = r.ProjY, ref.ProjY
				}
				for i := range proj {
					if math.Abs(sign*proj[i]-refProj[i]) > 1e-5*math.Max(1, math.Abs(refProj[i])) {
						t.Errorf("checkpoint %d, coordinate %d: %g, numpy %g", i, k, sign*proj[i], refProj[i])
					}
				}
			}
			if c.ignore == "biasbn" {
				for _, p := range entries {
					if len(p.Shape) <= 1 {
						for _, v := range r.X.Get(p.Name).Data {
							if v != 0 {
								t.Fatalf("--ignore biasbn: %s is not zero in x", p.Name)
							}
						}
					}
				}
			}
		})
	}
}

func dotp(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Written files round-trip: scan --dirs reads the directions file as it is, the path file
// holds the projections; a different existing file is never replaced.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	net, final, ckpts := checkpoints(t, dir, "resnet8-c2", 4)
	r, err := FromFiles("resnet8-c2", final, ckpts, "biasbn", 0)
	if err != nil {
		t.Fatal(err)
	}
	dp, pp := filepath.Join(dir, "d.safetensors"), filepath.Join(dir, "p.npz")
	if err := r.Save(dp, pp, "biasbn", r.Meta(final, ckpts, "biasbn")); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(dp, pp, "biasbn", r.Meta(final, ckpts, "biasbn")); err != nil {
		t.Fatalf("saving the same result again: %v", err)
	}
	f, err := direction.Read(dp, net, "weights", true)
	if err != nil {
		t.Fatal(err)
	}
	x, y := f.X, f.Y
	if n := norm(flat(x, direction.Entries(net, "weights"))); math.Abs(n-1) > 1e-6 || math.Abs(dotp(flat(x, direction.Entries(net, "weights")), flat(y, direction.Entries(net, "weights")))) > 1e-6 {
		t.Errorf("‖x‖ = %g, x·y = %g: not orthonormal", n, dotp(flat(x, direction.Entries(net, "weights")), flat(y, direction.Entries(net, "weights"))))
	}
	p, err := LoadPath(pp)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ProjX) != 4 || p.ProjX[2] != r.ProjX[2] || p.ExplainedVarianceRatio[1] != r.ExplainedVarianceRatio[1] {
		t.Errorf("path file %+v", p)
	}
	r2, _ := FromFiles("resnet8-c2", final, ckpts[:3], "biasbn", 0)
	if err := r2.Save(dp, pp, "biasbn", r2.Meta(final, ckpts[:3], "biasbn")); err == nil || !strings.Contains(err.Error(), "exists with other contents") {
		t.Errorf("replacing a different file: %v", err)
	}
	if _, err := FromFiles("resnet8-c2", final, ckpts[:1], "biasbn", 0); err == nil {
		t.Error("one checkpoint: no error")
	}
}

func norm(a []float64) float64 { return math.Sqrt(dotp(a, a)) }
