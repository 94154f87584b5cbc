package direction

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"landscape/internal/fuzzseed"
	"landscape/model"
)

func fuzzNet(t testing.TB) *model.Net {
	n, err := model.Build("resnet8-c1", model.Config{InC: 1, HW: 4, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func directionSeeds(t testing.TB) []fuzzseed.Seed {
	n := fuzzNet(t)
	dir := t.TempDir()
	file := func(x, y *model.Weights, o Options, meta map[string]string) []byte {
		p := filepath.Join(dir, "d.safetensors")
		if err := Save(p, x, y, o, meta); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		return b
	}
	x, y := Random(n, "weights", 1, 0), Random(n, "weights", 1, 1)
	saved := file(x, y, Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"}, map[string]string{"source": "test"})
	states := file(Random(n, "states", 2, 0), Random(n, "states", 2, 1), Options{Norm: "layer", Ignore: "none", DirType: "states"}, nil)
	// a hand-made file: raw directions, no normalisation recorded, biases left out (as the
	// paper's files may)
	raw := model.NewWeights()
	for _, name := range x.Names {
		if len(x.Tensors[name].Shape) > 1 {
			raw.Add(x.Tensors[name])
		}
	}
	w := model.NewWeights()
	for _, d := range []*model.Weights{raw, raw} {
		for _, name := range d.Names {
			tn := d.Tensors[name].Clone()
			tn.Name = map[bool]string{true: "x.", false: "y."}[w.Get("x."+name) == nil] + name
			w.Add(tn)
		}
	}
	hand, err := model.EncodeSafetensors(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []fuzzseed.Seed{
		fuzzseed.New("saved", saved, false),
		fuzzseed.New("states", states, true),
		fuzzseed.New("hand-made", hand, false),
		fuzzseed.New("unknown-norm", file(x, y, Options{Norm: "spectral", Ignore: "biasbn", DirType: "weights"}, nil), false),
		fuzzseed.New("x-only", file(x, nil, Options{Norm: "none", Ignore: "biasbn", DirType: "weights"}, nil), false),
		fuzzseed.New("cut", saved[:len(saved)-16], false),
	}
}

func TestDirectionSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzDirections", directionSeeds(t)) }

// FuzzDirections: any bytes as a --dirs file (safetensors tensors x.<name>, y.<name> and the
// metadata that records their normalisation), read for a small ResNet with --dir-type
// weights or states. Property: no panic; an error naming the file, or directions with
// exactly the network's entries and shapes whose recorded normalisation is a valid one, and
// which round-trip: saved with that normalisation and metadata and read again, they are the
// same bit for bit.
func FuzzDirections(f *testing.F) {
	fuzzseed.Add(f, directionSeeds(f))
	n := fuzzNet(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, states bool) {
		dt := map[bool]string{false: "weights", true: "states"}[states]
		p := filepath.Join(dir, "in.safetensors")
		os.WriteFile(p, b, 0o644)
		d, err := Read(p, n, dt, true)
		if err != nil {
			return
		}
		for _, e := range Entries(n, dt) {
			if tx, ty := d.X.Get(e.Name), d.Y.Get(e.Name); tx == nil || ty == nil || !reflect.DeepEqual(tx.Shape, e.Shape) || !reflect.DeepEqual(ty.Shape, e.Shape) {
				t.Fatalf("entry %s: %v, %v", e.Name, tx, ty)
			}
		}
		if d.Normalized != nil && d.Normalized.Validate() != nil {
			t.Fatalf("normalisation %+v", *d.Normalized)
		}
		o := Options{}
		if d.Normalized != nil {
			o = *d.Normalized
		}
		q := filepath.Join(dir, "again.safetensors")
		if err := Save(q, d.X, d.Y, o, d.Meta); err != nil {
			t.Fatal(err)
		}
		e, err := Read(q, n, dt, true)
		if err != nil {
			t.Fatalf("saved again: %v", err)
		}
		if !reflect.DeepEqual(e.Normalized, d.Normalized) {
			t.Fatalf("normalisation %v then %v", d.Normalized, e.Normalized)
		}
		for _, pair := range [][2]*model.Weights{{d.X, e.X}, {d.Y, e.Y}} {
			for _, name := range pair[0].Names {
				a, c := pair[0].Tensors[name].Data, pair[1].Get(name).Data
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(c[i]) {
						t.Fatalf("%s[%d]: %v then %v", name, i, a[i], c[i])
					}
				}
			}
		}
	})
}
