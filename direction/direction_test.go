package direction

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"landscape/model"
)

func setup(t *testing.T) (*model.Net, *model.Weights) {
	n, err := model.Build("resnet8", model.Config{InC: 1, HW: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	return n, model.Init(n, 1)
}

func norm64(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func TestFilterNorm(t *testing.T) {
	n, w := setup(t)
	d := Random(n, "weights", 3, 0)
	r := d.Clone()
	Normalize(d, w, Options{Norm: "filter", Ignore: "biasbn"})
	for _, name := range d.Names {
		dt, wt, rt := d.Tensors[name], w.Tensors[name], r.Tensors[name]
		if len(dt.Shape) <= 1 {
			if norm64(dt.Data) != 0 {
				t.Errorf("%s: not zeroed with --ignore biasbn", name)
			}
			continue
		}
		per := len(dt.Data) / dt.Shape[0]
		for i := range dt.Shape[0] {
			dn, wn := norm64(dt.Data[i*per:(i+1)*per]), norm64(wt.Data[i*per:(i+1)*per])
			if math.Abs(dn-wn) > 1e-5*wn {
				t.Errorf("%s filter %d: norm %v, want %v", name, i, dn, wn)
			}
			// direction preserved: d_i ∝ r_i
			f := float64(dt.Data[i*per]) / float64(rt.Data[i*per])
			for j := i * per; j < (i+1)*per; j++ {
				if math.Abs(float64(dt.Data[j])-f*float64(rt.Data[j])) > 1e-5*math.Abs(float64(dt.Data[j]))+1e-7 {
					t.Fatalf("%s: filter %d is not a rescaled draw", name, i)
				}
			}
		}
	}
}

func TestLayerWeightNoneAndCopy(t *testing.T) {
	n, w := setup(t)
	for _, norm := range []string{"layer", "weight", "none"} {
		d := Random(n, "weights", 4, 1)
		r := d.Clone()
		Normalize(d, w, Options{Norm: norm, Ignore: "none"})
		for _, name := range d.Names {
			dt, wt, rt := d.Tensors[name].Data, w.Tensors[name].Data, r.Tensors[name].Data
			if len(d.Tensors[name].Shape) <= 1 {
				for i := range dt {
					if dt[i] != wt[i] {
						t.Fatalf("%s %s: --ignore none should copy the weight", norm, name)
					}
				}
				continue
			}
			switch norm {
			case "layer":
				if math.Abs(norm64(dt)-norm64(wt)) > 1e-5*norm64(wt) {
					t.Errorf("layer %s: norm %v, want %v", name, norm64(dt), norm64(wt))
				}
			case "weight":
				for i := range dt {
					if dt[i] != rt[i]*wt[i] {
						t.Fatalf("weight %s[%d] = %v, want %v", name, i, dt[i], rt[i]*wt[i])
					}
				}
			case "none":
				for i := range dt {
					if dt[i] != rt[i] {
						t.Fatalf("none %s changed", name)
					}
				}
			}
		}
	}
}

func TestEntriesAndTarget(t *testing.T) {
	n, w := setup(t)
	wt := len(Entries(n, "weights"))
	st := len(Entries(n, "states"))
	// resnet8: 9 BN layers (stem, 3×2 in blocks, 2 projection shortcuts) each add running_mean and running_var.
	if st-wt != 2*9 {
		t.Errorf("states adds %d entries, want 18", st-wt)
	}
	for _, p := range Entries(n, "states") {
		if strings.HasSuffix(p.Name, "num_batches_tracked") {
			t.Error("num_batches_tracked is never a direction entry")
		}
	}
	w2 := model.Init(n, 2)
	d := Target(n, w, w2, "states")
	for _, name := range d.Names {
		for i, v := range d.Tensors[name].Data {
			if v != w2.Tensors[name].Data[i]-w.Tensors[name].Data[i] {
				t.Fatalf("%s[%d]: target is not W2 − W", name, i)
			}
		}
	}
	if d.Get("bn1.running_var") == nil || d.Get("bn1.bias") == nil {
		t.Error("target must include BN entries in states mode")
	}
}

func TestRandomIsSeeded(t *testing.T) {
	n, _ := setup(t)
	a, b, c := Random(n, "weights", 1, 0), Random(n, "weights", 1, 0), Random(n, "weights", 1, 1)
	x, y, z := a.Tensors["conv1.weight"].Data, b.Tensors["conv1.weight"].Data, c.Tensors["conv1.weight"].Data
	if x[0] != y[0] || x[5] != y[5] || x[0] == z[0] {
		t.Error("same seed must give the same draw, another stream another")
	}
}

func TestSaveRead(t *testing.T) {
	n, w := setup(t)
	x, y := Random(n, "weights", 1, 0), Random(n, "weights", 1, 1)
	opt := Options{Norm: "layer", Ignore: "none", DirType: "weights"}
	Normalize(x, w, opt)
	path := filepath.Join(t.TempDir(), "d.safetensors")
	if err := Save(path, x, y, opt, map[string]string{"model": "resnet8"}); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path, n, "weights", true)
	if err != nil {
		t.Fatal(err)
	}
	if f.X.Tensors["conv1.weight"].Data[3] != x.Tensors["conv1.weight"].Data[3] || f.Y.Tensors["linear.weight"].Data[2] != y.Tensors["linear.weight"].Data[2] {
		t.Error("loaded directions differ")
	}
	if f.Normalized == nil || *f.Normalized != opt || f.Meta["model"] != "resnet8" {
		t.Errorf("recorded normalisation %+v, meta %v; want %+v", f.Normalized, f.Meta, opt)
	}
	// a file without a recorded normalisation (made by hand) holds raw directions
	raw := filepath.Join(t.TempDir(), "raw.safetensors")
	rw := model.NewWeights()
	for _, name := range x.Names {
		c := x.Tensors[name].Clone()
		c.Name = "x." + name
		rw.Add(c)
	}
	if err := model.WriteSafetensors(raw, rw, nil); err != nil {
		t.Fatal(err)
	}
	if f, err := Read(raw, n, "weights", false); err != nil || f.Normalized != nil {
		t.Errorf("raw file: %v, normalised %+v", err, f.Normalized)
	}
	// a 1D file lacks y: asking for y is an error naming the tensor
	if _, err := Read(raw, n, "weights", true); err == nil || !strings.Contains(err.Error(), "y.conv1.weight") {
		t.Errorf("missing y: %v", err)
	}
	// a raw weights-mode file used for a states scan lacks the running statistics
	if _, err := Read(raw, n, "states", false); err == nil || !strings.Contains(err.Error(), "running_mean") {
		t.Errorf("states: %v", err)
	}
	// a saved file records its dir type
	if _, err := Read(path, n, "states", false); err == nil || !strings.Contains(err.Error(), "--dir-type weights, not states") {
		t.Errorf("recorded dir type: %v", err)
	}
	// a raw states-mode file has entries a weights-mode scan does not expect
	sx := Random(n, "states", 1, 0)
	rs := model.NewWeights()
	for _, name := range sx.Names {
		c := sx.Tensors[name].Clone()
		c.Name = "x." + name
		rs.Add(c)
	}
	p2 := filepath.Join(t.TempDir(), "s.safetensors")
	model.WriteSafetensors(p2, rs, nil)
	if _, err := Read(p2, n, "weights", false); err == nil || !strings.Contains(err.Error(), "unexpected tensor") {
		t.Errorf("unexpected: %v", err)
	}
	// wrong shape
	other, _ := model.Build("resnet8", model.Config{InC: 3, HW: 8, Classes: 10})
	if _, err := Read(path, other, "weights", false); err == nil || !strings.Contains(err.Error(), "[16, 1, 3, 3]") {
		t.Errorf("shape: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := Options{Norm: "filter", Ignore: "biasbn", DirType: "weights"}
	if ok.Validate() != nil {
		t.Fatal("valid options refused")
	}
	for _, o := range []Options{{Norm: "x", Ignore: "biasbn", DirType: "weights"}, {Norm: "filter", Ignore: "x", DirType: "weights"}, {Norm: "filter", Ignore: "biasbn", DirType: "x"}} {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
