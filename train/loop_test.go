package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"landscape/data"
	"landscape/model"
)

func TestLRSchedule(t *testing.T) {
	c := Config{LR: 0.1, LRDrops: []int{150, 225, 275}, LRGamma: 0.1}
	for _, x := range []struct {
		epoch int
		lr    float64
	}{{1, 0.1}, {150, 0.1}, {151, 0.01}, {225, 0.01}, {226, 0.001}, {276, 0.0001}, {300, 0.0001}} {
		if got := c.LRAt(x.epoch); math.Abs(got-x.lr) > 1e-15 {
			t.Errorf("epoch %d: lr %v, want %v", x.epoch, got, x.lr)
		}
	}
}

// The paper's initialisation: conv ~ N(0, 2/fan_in), linear ~ N(0, 1e-6), BN γ = 1, β = 0,
// running variance 1, zero biases and means.
func TestKaimingInit(t *testing.T) {
	n, err := model.Build("vgg5-c16", model.Config{InC: 3, HW: 16, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	w := KaimingInit(n, 7)
	std := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	for _, p := range n.Params {
		d := w.Get(p.Name).Data
		switch {
		case p.Kind == model.KindWeight && len(p.Shape) == 4:
			want := math.Sqrt(2 / float64(p.Shape[1]*p.Shape[2]*p.Shape[3]))
			if s := std(d); math.Abs(s-want) > 0.1*want {
				t.Errorf("%s: std %.4f, want %.4f", p.Name, s, want)
			}
		case p.Kind == model.KindWeight:
			if s := std(d); math.Abs(s-1e-3) > 1e-4 {
				t.Errorf("%s: std %.5f, want 0.001", p.Name, s)
			}
		case p.Kind == model.KindBNWeight || p.Kind == model.KindRunningVar:
			for _, x := range d {
				if x != 1 {
					t.Fatalf("%s: %v, want 1", p.Name, x)
				}
			}
		default:
			for _, x := range d {
				if x != 0 {
					t.Fatalf("%s: %v, want 0", p.Name, x)
				}
			}
		}
	}
	if a, b := KaimingInit(n, 7).Get("features.0.weight").Data[3], KaimingInit(n, 8).Get("features.0.weight").Data[3]; a == b {
		t.Error("different seeds gave the same weights")
	}
}

// crop-flip: every augmented image is a 4-pixel-padded crop of the original, maybe mirrored,
// with the padding at the set's black level; over many draws all offsets and both flips occur.
func TestCropFlip(t *testing.T) {
	const h = 6
	set := &data.Set{Name: "t", N: 2, C: 1, H: h, W: h, Classes: 2, Images: make([]float32, 2*h*h), Labels: []int32{0, 1}, Black: []float32{-0.5}}
	for i := range set.Images {
		set.Images[i] = float32(i%(h*h)) + 1
	}
	n, _ := model.Build("resnet8-c2", model.Config{InC: 1, HW: h, Classes: 2})
	tr, err := NewTrainer(n, KaimingInit(n, 1), set, Config{Epochs: 1, BatchSize: 2, LR: 0.1, LRGamma: 0.1, Augment: "crop-flip", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[[3]int]bool{}
	out := make([]float32, h*h)
	for range 2000 {
		tr.fill(out, set.Image(0), r)
		found := false
		for oy := -CropPad; oy <= CropPad && !found; oy++ {
			for ox := -CropPad; ox <= CropPad && !found; ox++ {
				for flip := range 2 {
					ok := true
					for i := 0; i < h && ok; i++ {
						for j := 0; j < h && ok; j++ {
							sj := j
							if flip == 1 {
								sj = h - 1 - j
							}
							y, x := i+oy, sj+ox
							want := float32(-0.5) // the black level
							if y >= 0 && y < h && x >= 0 && x < h {
								want = set.Images[y*h+x]
							}
							ok = out[i*h+j] == want
						}
					}
					if ok {
						found, seen[[3]int{oy, ox, flip}] = true, true
						break
					}
				}
			}
		}
		if !found {
			t.Fatalf("augmented image %v is no padded crop or flip of the original", out)
		}
	}
	if len(seen) < 2*(2*CropPad+1)*(2*CropPad+1)-10 {
		t.Errorf("only %d of the %d crops and flips drawn", len(seen), 2*(2*CropPad+1)*(2*CropPad+1))
	}
}

// Six epochs on a learnable synthetic set lower the loss; evaluation in eval mode agrees in
// kind; the shuffled order is a permutation that depends on the epoch.
func TestTrainingLearns(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSyntheticIDX(dir, 1000, 100, 3); err != nil {
		t.Fatal(err)
	}
	set, err := data.Load("fashion-mnist:"+dir, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := model.Build("vgg5-c4", model.Config{InC: 1, HW: 28, Classes: 10})
	tr, err := NewTrainer(n, KaimingInit(n, 1), set, Config{Epochs: 6, BatchSize: 32, LR: 0.1, Momentum: 0.9, LRGamma: 0.1, Augment: "none", Shuffle: true, Seed: 2, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var first, last EpochStats
	for e := range 6 {
		st, err := tr.RunEpoch(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if e == 0 {
			first = st
		}
		last = st
	}
	if !(last.Loss < first.Loss/2) || last.Acc < 50 {
		t.Errorf("loss %.3f → %.3f, accuracy %.1f%%: not learning", first.Loss, last.Loss, last.Acc)
	}
	loss, acc, err := Evaluate(context.Background(), n, tr.Net.Weights(), set, 2)
	if err != nil || !(loss < first.Loss) || acc < 40 {
		t.Errorf("eval-mode loss %.3f accuracy %.1f%% (%v)", loss, acc, err)
	}
	o1, o2 := tr.Order(1), tr.Order(2)
	seen := make([]bool, set.N)
	for _, i := range o1 {
		seen[i] = true
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("image %d missing from the epoch's order", i)
		}
	}
	same := 0
	for i := range o1 {
		if o1[i] == o2[i] {
			same++
		}
	}
	if same > set.N/10 {
		t.Errorf("epochs 1 and 2 share %d positions of their order", same)
	}
}
