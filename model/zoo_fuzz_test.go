package model_test

import (
	"slices"
	"testing"

	"landscape/internal/fuzzseed"
	"landscape/model"
)

func zooSeeds() []fuzzseed.Seed {
	var seeds []fuzzseed.Seed
	for _, name := range []string{"resnet20", "resnet56-noshort", "resnet20_noshort", "wrn56-2", "wrn56_2", "vgg9",
		"resnet20-c4", "resnet20-c4-noshort", "vgg5-c8",
		"resnet1208", "resnet14", "resnet99999999999999999999", "wrn8-99999999999", "wrn8-0", "resnet8-c0", "vgg5-c4096", "", "x.onnx"} {
		seeds = append(seeds, fuzzseed.New(name, name))
	}
	seeds[len(seeds)-2].Name, seeds[len(seeds)-1].Name = "empty", "missing-onnx"
	return seeds
}

func TestZooSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzZooName", zooSeeds()) }

// FuzzZooName: any --model name (zoo networks, the paper's spellings, any depth, width or
// channel count; a .onnx path). Property: no panic, no hang; an error naming the model, or a
// network of at most 2^31 parameter values, built only after the name's numbers are checked
// (ResNet depth ≤ 1202, channels ≤ 4096: nothing allocated from an overflowing count), whose
// name builds it again with the same entries and shapes.
func FuzzZooName(f *testing.F) {
	fuzzseed.Add(f, zooSeeds())
	c := model.Config{InC: 3, HW: 32, Classes: 10}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := model.Build(name, c)
		if err != nil {
			return
		}
		total := 0.0 // in float64: an overflowing int count would wrap to a small one
		for _, p := range n.Params {
			e := 1.0
			for _, d := range p.Shape {
				if d <= 0 {
					t.Fatalf("%s: %s has shape %v", name, p.Name, p.Shape)
				}
				e *= float64(d)
			}
			total += e
		}
		if total > 1<<31 {
			t.Fatalf("%s: %.0f parameter values", name, total)
		}
		again, err := model.Build(n.Name, c)
		if err != nil || !slices.EqualFunc(again.Params, n.Params, func(a, b model.ParamSpec) bool {
			return a.Name == b.Name && slices.Equal(a.Shape, b.Shape)
		}) {
			t.Fatalf("%s built as %s, which builds %v", name, n.Name, err)
		}
	})
}
