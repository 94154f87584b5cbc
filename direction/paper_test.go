package direction

import (
	"path/filepath"
	"strings"
	"testing"

	"landscape/model"
)

// TestLoadPaperStyleFile: a directions file holding only the ≥ 2-dim parameters plus
// num_batches_tracked entries loads; the missing ≤ 1-dim entries come back zero (and Normalize
// sets them from --ignore), the others as stored. Missing ≥ 2-dim entries and running
// statistics stay errors.
func TestLoadPaperStyleFile(t *testing.T) {
	n, w := setup(t)
	x, y := Random(n, "weights", 1, 0), Random(n, "weights", 1, 1)
	file := model.NewWeights()
	skipped := 0
	for i, d := range []*model.Weights{x, y} {
		for _, name := range d.Names {
			tt := d.Tensors[name].Clone()
			if len(tt.Shape) <= 1 {
				skipped++
				continue
			}
			tt.Name = []string{"x.", "y."}[i] + name
			file.Add(tt)
		}
	}
	if skipped == 0 {
		t.Fatal("the network has no ≤ 1-dim parameters: the test tests nothing")
	}
	nbt := 0
	for _, p := range n.Params {
		if strings.HasSuffix(p.Name, "num_batches_tracked") {
			file.Add(model.NewTensor("x."+p.Name, p.Shape...))
			nbt++
		}
	}
	if nbt == 0 {
		t.Fatal("no num_batches_tracked entries in the network")
	}
	path := filepath.Join(t.TempDir(), "paper.safetensors")
	if err := model.WriteSafetensors(path, file, nil); err != nil {
		t.Fatal(err)
	}
	lf, err := Read(path, n, "weights", true)
	if err != nil {
		t.Fatal(err)
	}
	lx, ly := lf.X, lf.Y
	for i, pair := range [][2]*model.Weights{{x, lx}, {y, ly}} {
		for _, name := range pair[0].Names {
			want, got := pair[0].Tensors[name], pair[1].Tensors[name]
			if got == nil {
				t.Fatalf("direction %d: %s not loaded", i, name)
			}
			for k := range got.Data {
				if len(want.Shape) <= 1 && got.Data[k] != 0 || len(want.Shape) > 1 && got.Data[k] != want.Data[k] {
					t.Fatalf("direction %d: %s[%d] = %v (stored %v)", i, name, k, got.Data[k], want.Data[k])
				}
			}
		}
	}
	Normalize(lx, w, Options{Norm: "filter", Ignore: "none"})
	if b := lx.Tensors["bn1.weight"]; b == nil || b.Data[0] != w.Tensors["bn1.weight"].Data[0] {
		t.Errorf("--ignore none: bn1.weight direction not set to the weight")
	}
	// a missing ≥ 2-dim parameter is still an error
	delete(file.Tensors, "y.conv1.weight")
	file.Names = file.Names[:0]
	for name := range file.Tensors {
		file.Names = append(file.Names, name)
	}
	model.WriteSafetensors(path, file, nil)
	if _, err := Read(path, n, "weights", true); err == nil || !strings.Contains(err.Error(), `missing tensor "y.conv1.weight"`) {
		t.Errorf("missing conv weight: %v", err)
	}
}
