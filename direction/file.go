package direction

import (
	"fmt"
	"maps"
	"slices"

	"landscape/model"
)

// Metadata keys of a directions file that record how its directions were normalised.
const (
	MetaNorm    = "norm"
	MetaIgnore  = "ignore"
	MetaDirType = "dir_type"
)

// File is a directions file's contents.
type File struct {
	X, Y *model.Weights // Y is nil unless asked for
	// Normalized is the normalisation the file records its directions already have (Save
	// records it): they are to be used as they are. Nil when the file records none (a file
	// made by hand): its directions are raw and still to be normalised.
	Normalized *Options
	Meta       map[string]string
}

// Read reads directions from a safetensors file whose tensors "x.<name>" (and "y.<name>" when
// wantY) cover exactly the entries of dirType, with the shapes of the network's entries, and
// the normalisation the file records.
func Read(path string, n *model.Net, dirType string, wantY bool) (*File, error) {
	f, meta, err := model.ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	out := &File{Meta: meta}
	if meta[MetaNorm] != "" {
		o := Options{Norm: meta[MetaNorm], Ignore: meta[MetaIgnore], DirType: meta[MetaDirType]}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("--dirs %s records a normalisation landscape does not know: %w", path, err)
		}
		if o.DirType != dirType {
			return nil, fmt.Errorf("--dirs %s holds directions of --dir-type %s, not %s", path, o.DirType, dirType)
		}
		out.Normalized = &o
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
	if out.X, err = pick("x."); err != nil {
		return nil, err
	}
	if wantY {
		if out.Y, err = pick("y."); err != nil {
			return nil, err
		}
	}
	known := map[string]bool{}
	for _, p := range entries {
		known["x."+p.Name], known["y."+p.Name] = true, true
	}
	for _, name := range f.Names {
		if !known[name] && !paperExtra(name) {
			return nil, fmt.Errorf("--dirs %s: unexpected tensor %q: want x.<name> and y.<name> for the %s entries of %s", path, name, dirType, n.Name)
		}
	}
	return out, nil
}

// Save writes the directions as "x.<name>" and "y.<name>" tensors (y may be nil), recording
// in the metadata that they are normalised as normalized says (Load then uses them as they
// are), beside the other metadata given.
func Save(path string, x, y *model.Weights, normalized Options, meta map[string]string) error {
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
	m := maps.Clone(meta)
	if m == nil {
		m = map[string]string{}
	}
	m[MetaNorm], m[MetaIgnore], m[MetaDirType] = normalized.Norm, normalized.Ignore, normalized.DirType
	return model.WriteSafetensors(path, out, m)
}
