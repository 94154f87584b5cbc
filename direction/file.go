package direction

import (
	"fmt"
	"slices"

	"landscape/model"
)

// Load reads directions from a safetensors file whose tensors "x.<name>" (and "y.<name>" when
// wantY) cover exactly the entries of dirType, with the shapes of the network's entries.
func Load(path string, n *model.Net, dirType string, wantY bool) (x, y *model.Weights, err error) {
	f, _, err := model.ReadSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	entries := Entries(n, dirType)
	pick := func(prefix string) (*model.Weights, error) {
		d := model.NewWeights()
		for _, p := range entries {
			t := f.Get(prefix + p.Name)
			if t == nil {
				t = paperGap(prefix, p) // a ≤ 1-dim entry the paper's files may lack
			}
			if t == nil {
				return nil, fmt.Errorf("--dirs %s: missing tensor %q (shape %s) for --dir-type %s", path, prefix+p.Name, model.ShapeString(p.Shape), dirType)
			}
			if !slices.Equal(t.Shape, p.Shape) {
				return nil, fmt.Errorf("--dirs %s: tensor %q has shape %s, want %s", path, prefix+p.Name, model.ShapeString(t.Shape), model.ShapeString(p.Shape))
			}
			c := t.Clone()
			c.Name = p.Name
			d.Add(c)
		}
		return d, nil
	}
	if x, err = pick("x."); err != nil {
		return nil, nil, err
	}
	if wantY {
		if y, err = pick("y."); err != nil {
			return nil, nil, err
		}
	}
	known := map[string]bool{}
	for _, p := range entries {
		known["x."+p.Name], known["y."+p.Name] = true, true
	}
	for _, name := range f.Names {
		if !known[name] && !paperExtra(name) {
			return nil, nil, fmt.Errorf("--dirs %s: unexpected tensor %q: want x.<name> and y.<name> for the %s entries of %s", path, name, dirType, n.Name)
		}
	}
	return x, y, nil
}

// Save writes the directions as "x.<name>" and "y.<name>" tensors (y may be nil).
func Save(path string, x, y *model.Weights, meta map[string]string) error {
	out := model.NewWeights()
	for i, d := range []*model.Weights{x, y} {
		prefix := []string{"x.", "y."}[i]
		if d == nil {
			continue
		}
		for _, name := range d.Names {
			t := d.Tensors[name].Clone()
			t.Name = prefix + name
			out.Add(t)
		}
	}
	return model.WriteSafetensors(path, out, meta)
}
