package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/engine"
	"landscape/model"
)

// Config holds the settings of a training run.
type Config struct {
	Epochs           int
	BatchSize        int
	LR, Momentum, WD float64
	Nesterov         bool
	LRDrops          []int   // epochs after which the learning rate is multiplied by LRGamma
	LRGamma          float64 //
	Augment          string  // "none" or "crop-flip"
	Seed             int64   // shuffling and augmentation (and the initial weights, chosen by the caller)
	Shuffle          bool    // false: batches in file order
	Workers          int     // goroutines
}

// Validate checks the settings, naming the command-line flag at fault.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("--epochs %d: want at least 1", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("--batch-size %d: want at least 1", c.BatchSize)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("--lr %g: want a positive learning rate", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("--momentum %g: want 0 ≤ momentum < 1", c.Momentum)
	case c.Nesterov && c.Momentum == 0:
		return errors.New("--nesterov needs a positive --momentum (as torch.optim.SGD)")
	case !(c.WD >= 0) || math.IsInf(c.WD, 0):
		return fmt.Errorf("--wd %g: want a non-negative weight decay", c.WD)
	case !(c.LRGamma > 0) || math.IsInf(c.LRGamma, 0):
		return fmt.Errorf("--lr-gamma %g: want a positive factor", c.LRGamma)
	case c.Augment != "none" && c.Augment != "crop-flip":
		return fmt.Errorf("--augment %q: want none or crop-flip", c.Augment)
	case c.Workers < 1:
		return fmt.Errorf("--workers %d: want at least 1", c.Workers)
	}
	for _, d := range c.LRDrops {
		if d < 1 {
			return fmt.Errorf("--lr-drops: epoch %d: want epochs ≥ 1", d)
		}
	}
	return nil
}

// LRAt is the learning rate of epoch e (counted from 1): LR·γᵏ with k the number of drops
// before e. The paper's code multiplies the rate by γ at the end of epochs 150, 225 and 275.
func (c Config) LRAt(e int) float64 {
	lr := c.LR
	for _, d := range c.LRDrops {
		if d < e {
			lr *= c.LRGamma
		}
	}
	return lr
}

// Trainer trains a network on a data set, one epoch at a time.
type Trainer struct {
	Cfg     Config
	Net     *Net[float32]
	Opt     *SGD[float32]
	Data    *data.Set
	Epoch   int          // epochs completed
	History []EpochStats // one entry per completed epoch (the caller adds test results)
	pad     []float32
}

// CropPad is the zero padding of the crop-flip augmentation (torchvision's
// RandomCrop(size, padding=4) then RandomHorizontalFlip(), as the paper's data loader).
const CropPad = 4

// NewTrainer prepares training of n from weights w on set.
func NewTrainer(n *model.Net, w *model.Weights, set *data.Set, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.N == 0 {
		return nil, fmt.Errorf("%s: no images to train on", set.Name)
	}
	if set.C != n.InC || set.H != n.HW || set.W != n.HW {
		return nil, fmt.Errorf("%s has %dx%dx%d images, model %s expects %dx%dx%d", set.Name, set.C, set.H, set.W, n.Name, n.InC, n.HW, n.HW)
	}
	if set.Classes > n.Classes {
		return nil, fmt.Errorf("%s has %d classes, model %s only %d outputs", set.Name, set.Classes, n.Name, n.Classes)
	}
	b := min(cfg.BatchSize, set.N)
	if last := set.N % b; b == 1 || last == 1 {
		for _, op := range n.Ops {
			if s := n.Slots[op.In]; op.Kind == model.OpBatchNorm && s[1]*s[2] == 1 {
				return nil, fmt.Errorf("with %d images in batches of %d a batch holds a single image, and batch norm %s (over features) "+
					"needs more than one value per channel in training, as in PyTorch: change --batch-size or --limit", set.N, cfg.BatchSize, op.Prefix)
			}
		}
	}
	net, err := NewNet[float32](n, w, b, cfg.Workers)
	if err != nil {
		return nil, err
	}
	tr := &Trainer{Cfg: cfg, Net: net, Data: set,
		Opt: &SGD[float32]{LR: cfg.LR, Momentum: cfg.Momentum, WD: cfg.WD, Nesterov: cfg.Nesterov}}
	if cfg.Augment == "crop-flip" {
		// torchvision pads the raw image with black (0) before normalising
		tr.pad = set.Black
		if len(tr.pad) != set.C {
			tr.pad = make([]float32, set.C)
		}
	}
	return tr, nil
}

// EpochStats summarises one epoch: the mean training loss and accuracy (percent) over its
// batches, as the network was while it trained on them (training-mode batch norm).
type EpochStats struct {
	Epoch    int     `json:"epoch"`
	LR       float64 `json:"lr"`
	Loss     float64 `json:"train_loss"`
	Acc      float64 `json:"train_acc"`
	TestLoss float64 `json:"test_loss,omitempty"`
	TestAcc  float64 `json:"test_acc,omitempty"`
	HasTest  bool    `json:"-"`
	Images   int     `json:"images"`
	Seconds  float64 `json:"seconds"`
	Batches  int     `json:"batches"`
}

// Order returns the order in which epoch e (from 1) visits the images: file order, or a
// permutation drawn from (seed, e), so that a resumed run visits them as an uninterrupted one.
func (tr *Trainer) Order(e int) []int {
	if !tr.Cfg.Shuffle {
		idx := make([]int, tr.Data.N)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rand.New(rand.NewPCG(uint64(tr.Cfg.Seed), 0x73687566<<8|uint64(e))).Perm(tr.Data.N)
}

// RunEpoch trains epoch tr.Epoch+1: every batch of the epoch's order (the last one possibly
// smaller) does a forward pass, a backward pass of the mean cross-entropy and an SGD step.
// progress, if not nil, is called after each batch. On cancellation it returns ctx's error,
// leaving the network mid-epoch.
func (tr *Trainer) RunEpoch(ctx context.Context, progress func(done, total int)) (EpochStats, error) {
	e := tr.Epoch + 1
	st := EpochStats{Epoch: e, LR: tr.Cfg.LRAt(e)}
	tr.Opt.LR = st.LR
	start := time.Now()
	order := tr.Order(e)
	aug := rand.New(rand.NewPCG(uint64(tr.Cfg.Seed), 0x61756700|uint64(e)))
	set := tr.Data
	size := set.C * set.H * set.W
	B := tr.Net.maxB
	nb := (set.N + B - 1) / B
	x := make([]float32, B*size)
	labels := make([]int32, B)
	var lossSum float64
	correct := 0
	for k := range nb {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		idx := order[k*B : min(set.N, (k+1)*B)]
		for i, j := range idx {
			tr.fill(x[i*size:][:size], set.Image(j), aug)
			labels[i] = set.Labels[j]
		}
		l, c := tr.Net.Forward(x[:len(idx)*size], labels[:len(idx)], true)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return st, fmt.Errorf("training diverged in epoch %d, batch %d (loss %v): try a smaller --lr", e, k+1, l)
		}
		tr.Net.Backward()
		tr.Opt.Step(tr.Net.Params)
		lossSum += l
		correct += c
		if progress != nil {
			progress(k+1, nb)
		}
	}
	tr.Epoch = e
	st.Images, st.Batches = set.N, nb
	st.Loss, st.Acc = lossSum/float64(set.N), 100*float64(correct)/float64(set.N)
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

// fill copies one image into dst, augmented as configured: crop-flip takes a random
// H×W window of the image padded by CropPad pixels (black) on every side, then mirrors it
// left-right with probability ½.
func (tr *Trainer) fill(dst, img []float32, r *rand.Rand) {
	if tr.pad == nil {
		copy(dst, img)
		return
	}
	s := tr.Data
	oy, ox := r.IntN(2*CropPad+1)-CropPad, r.IntN(2*CropPad+1)-CropPad
	flip := r.IntN(2) == 1
	for c := range s.C {
		plane, out := img[c*s.H*s.W:], dst[c*s.H*s.W:]
		for i := range s.H {
			for j := range s.W {
				sj := j
				if flip {
					sj = s.W - 1 - j
				}
				y, x := i+oy, sj+ox
				v := tr.pad[c]
				if y >= 0 && y < s.H && x >= 0 && x < s.W {
					v = plane[y*s.W+x]
				}
				out[i*s.W+j] = v
			}
		}
	}
}

// Evaluate returns the mean cross-entropy and the accuracy (percent) of weights w on set in
// evaluation mode (batch norm with the running statistics), computed by the inference engine
// (package cpu) on the given number of goroutines.
func Evaluate(ctx context.Context, n *model.Net, w *model.Weights, set *data.Set, workers int) (loss, acc float64, err error) {
	p, err := engine.NewProblem(n, w, nil, nil, set)
	if err != nil {
		return 0, 0, err
	}
	workers = max(1, min(workers, set.N))
	sums := make([]engine.Sums, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := cpu.New(p)
			if err != nil {
				errs[k] = err
				return
			}
			defer e.Close()
			s, err := e.Evaluate(ctx, []engine.Point{{}}, set.N*k/workers, set.N*(k+1)/workers)
			if err != nil {
				errs[k] = err
				return
			}
			sums[k] = s[0]
		}()
	}
	wg.Wait()
	var total engine.Sums
	for k := range workers {
		if errs[k] != nil {
			return 0, 0, errs[k]
		}
		total.Loss += sums[k].Loss
		total.Correct += sums[k].Correct
	}
	return total.Loss / float64(set.N), 100 * float64(total.Correct) / float64(set.N), nil
}
