package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"landscape/model"
	"landscape/surface"
)

// landscape hessian at θ writes exactly the keys the issue names, as computed: eigenvalues in
// descending order with the smallest below them, the trace with its standard error and sample
// count, a density integrating to 1 (and its PNG); what was not asked for is absent; --device
// gpu says a GPU product is later work.
func TestHessianCommand(t *testing.T) {
	dir := t.TempDir()
	spec := writeIDX(t, dir, 12, 8)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 2)
	out, png := filepath.Join(dir, "h.json"), filepath.Join(dir, "d.png")
	args := []string{"hessian", "--model", "resnet8", "--weights", w, "--data", spec, "--split", "test"}
	o := mustRun(t, append(args, "--top", "2", "--trace", "--tol", "0.2", "--max-samples", "30",
		"--density", png, "--density-steps", "20", "--out", out)...)
	if !strings.Contains(o, "top_eigenvalues=") || !strings.Contains(o, "trace=") {
		t.Errorf("output:\n%s", o)
	}
	var got map[string]json.RawMessage
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &got)
	for _, k := range []string{"top_eigenvalues", "min_eigenvalue", "trace", "trace_stderr", "trace_samples", "density"} {
		if got[k] == nil {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d keys, want 6: %s", len(got), b)
	}
	var r struct {
		Top     []float64 `json:"top_eigenvalues"`
		Min     float64   `json:"min_eigenvalue"`
		Samples int       `json:"trace_samples"`
		Density struct{ Grid, Values []float64 }
	}
	json.Unmarshal(b, &r)
	if len(r.Top) != 2 || r.Top[0] < r.Top[1] || r.Min > r.Top[1] || r.Samples < 10 {
		t.Errorf("report %+v", r)
	}
	var total float64
	for _, v := range r.Density.Values {
		total += v * (r.Density.Grid[1] - r.Density.Grid[0])
	}
	if math.Abs(total-1) > 1e-9 {
		t.Errorf("density integrates to %g", total)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("density PNG: %v", err)
	}
	out2 := filepath.Join(dir, "h2.json")
	mustRun(t, append(args, "--top", "1", "--out", out2)...)
	b, _ = os.ReadFile(out2)
	if strings.Contains(string(b), "trace") || strings.Contains(string(b), "density") {
		t.Errorf("only --top asked: %s", b)
	}
	if _, e, code := run(t, append(args, "--device", "gpu")...); code == 0 || !strings.Contains(e, "later work") {
		t.Errorf("--device gpu: exit %d: %s", code, e)
	}
}

// The eigenvalue map: max_eig and min_eig as grid arrays beside the loss; the point at the
// origin has the eigenvalues computed at θ; a second run finds everything computed; a loss
// scan refuses to resume a map; two shards merged give the whole map.
func TestHessianMap(t *testing.T) {
	dir := t.TempDir()
	spec := writeIDX(t, dir, 12, 8)
	w := writeWeights(t, dir, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 2)
	npz := filepath.Join(dir, "map.npz")
	base := []string{"--model", "resnet8", "--weights", w, "--data", spec, "--split", "test"}
	mustRun(t, append(append([]string{"hessian"}, base...), "--x", "-0.5:0.5:3", "--out", npz)...)
	s, err := surface.Load(npz)
	if err != nil {
		t.Fatal(err)
	}
	hi, lo := s.Extra["max_eig"], s.Extra["min_eig"]
	if len(hi) != 3 || len(lo) != 3 || len(s.Missing()) != 0 || s.Settings.Hessian == "" {
		t.Fatalf("map: %v %v missing %v settings %+v", hi, lo, s.Missing(), s.Settings)
	}
	js := filepath.Join(dir, "at.json")
	mustRun(t, append(append([]string{"hessian"}, base...), "--top", "1", "--out", js)...)
	var r struct {
		Top []float64 `json:"top_eigenvalues"`
		Min float64   `json:"min_eigenvalue"`
	}
	b, _ := os.ReadFile(js)
	json.Unmarshal(b, &r)
	if math.Abs(hi[1]-r.Top[0]) > 1e-9*math.Abs(r.Top[0]) || math.Abs(lo[1]-r.Min) > 1e-9*math.Abs(r.Top[0]) {
		t.Errorf("origin of the map %g, %g; at θ %g, %g", hi[1], lo[1], r.Top[0], r.Min)
	}
	if hi[0] == hi[1] {
		t.Error("the map's points are all alike")
	}
	o := mustRun(t, append(append([]string{"hessian"}, base...), "--x", "-0.5:0.5:3", "--out", npz)...)
	if !strings.Contains(o, "already computed") {
		t.Errorf("second run: %s", o)
	}
	if _, e, code := run(t, append(append([]string{"scan"}, base...), "--x", "-0.5:0.5:3", "--device", "cpu", "--out", npz)...); code == 0 || !strings.Contains(e, "hessian") {
		t.Errorf("scan over a map: exit %d: %s", code, e)
	}
	// the map split in two shards and merged equals the whole map
	var shards []string
	for i := range 2 {
		sh := filepath.Join(dir, "map.shard-"+string(rune('0'+i))+".npz")
		mustRun(t, append(append([]string{"hessian"}, base...), "--x", "-0.5:0.5:3", "--shard", string(rune('0'+i))+"/2", "--out", sh)...)
		shards = append(shards, sh)
	}
	merged := filepath.Join(dir, "merged.npz")
	mustRun(t, append([]string{"merge", "--out", merged}, shards...)...)
	m, err := surface.Load(merged)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		if m.Extra["max_eig"][k] != hi[k] || m.Extra["min_eig"][k] != lo[k] {
			t.Errorf("merged shards, point %d: %g %g, whole map %g %g", k, m.Extra["max_eig"][k], m.Extra["min_eig"][k], hi[k], lo[k])
		}
	}
	plots := mustRun(t, "plot", npz)
	if !strings.Contains(plots, "map_eig_ratio.png") {
		t.Errorf("plot of a map: %s", plots)
	}
}

// landscape trajectory writes directions scan --dirs uses as they are (it says so) and a path
// file plot --path draws.
func TestTrajectoryCommand(t *testing.T) {
	dir := t.TempDir()
	spec := writeIDX(t, dir, 12, 8)
	cfg := model.Config{InC: 1, HW: 8, Classes: 10}
	var ckpts []string
	for i := range 4 {
		sub := filepath.Join(dir, string(rune('a'+i)))
		os.Mkdir(sub, 0o755)
		ckpts = append(ckpts, writeWeights(t, sub, "resnet8", cfg, int64(10+i)))
	}
	final := ckpts[3]
	dirs, path := filepath.Join(dir, "pca.safetensors"), filepath.Join(dir, "path.npz")
	o := mustRun(t, "trajectory", "--model", "resnet8", "--final", final, "--checkpoints", strings.Join(ckpts[:2], ","),
		"--checkpoints", strings.Join(ckpts[2:], ","), "--hw", "8", "--out", dirs, "--path", path)
	if !strings.Contains(o, "explained_variance_ratio=") || strings.Count(o, " x=") != 4 {
		t.Errorf("output:\n%s", o)
	}
	surf := filepath.Join(dir, "s.npz")
	o = mustRun(t, "scan", "--model", "resnet8", "--weights", final, "--data", spec, "--split", "test", "--dirs", dirs,
		"--x", "-1:1:3", "--y", "-1:1:3", "--device", "cpu", "--out", surf)
	if !strings.Contains(o, "as saved") {
		t.Errorf("scan --dirs did not use the directions as saved:\n%s", o)
	}
	if p := mustRun(t, "plot", surf, "--path", path); !strings.Contains(p, "s_2dcontour_path.png") {
		t.Errorf("plot --path: %s", p)
	}
}
