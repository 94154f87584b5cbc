package testinput

import (
	"path/filepath"
	"slices"
	"testing"

	"landscape/data"
	"landscape/model"
)

// The images IDX writes read back as n hw×hw test examples with labels 0..9 (as the scan reads
// them), the same for the same seeds and different for others.
func TestIDXReadsBack(t *testing.T) {
	a, b, c := IDX(t, t.TempDir(), 12, 8, 1, 2), IDX(t, t.TempDir(), 12, 8, 1, 2), IDX(t, t.TempDir(), 12, 8, 3, 4)
	var sets []*data.Set
	for _, spec := range []string{a, b, c} {
		s, err := data.Load(spec, data.Options{Split: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if s.N != 12 || s.C != 1 || s.H != 8 || s.W != 8 {
			t.Fatalf("%s: %d images of %dx%dx%d, want 12 of 1x8x8", spec, s.N, s.C, s.H, s.W)
		}
		for _, l := range s.Labels {
			if l < 0 || l > 9 {
				t.Fatalf("%s: label %d", spec, l)
			}
		}
		sets = append(sets, s)
	}
	if !slices.Equal(sets[0].Images, sets[1].Images) || slices.Equal(sets[0].Images, sets[2].Images) {
		t.Error("the images do not follow the seeds")
	}
}

// Weights writes the network's model.Init weights, which model.ReadSafetensors reads back.
func TestWeightsReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	net := Weights(t, path, "resnet8", model.Config{InC: 1, HW: 8, Classes: 10}, 3)
	got, _, err := model.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Init(net, 3)
	if !slices.Equal(got.Names, want.Names) {
		t.Fatalf("names %v, want %v", got.Names, want.Names)
	}
	for _, n := range want.Names {
		if !slices.Equal(got.Tensors[n].Data, want.Tensors[n].Data) {
			t.Errorf("%s differs", n)
		}
	}
}
