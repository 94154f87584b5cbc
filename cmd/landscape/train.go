package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/data"
	"landscape/model"
	"landscape/train"
)

func init() { extraCommands = append(extraCommands, trainCmd, synthCmd) }

type trainFlags struct {
	model, dataSpec, split, init, out string
	augment, lrDrops, evalSplit       string
	limit, evalLimit, epochs, batch   int
	saveEvery, workers                int
	raw, nesterov, noShuffle, quiet   bool
	lr, momentum, wd, gamma           float64
	seed                              int64
}

func trainCmd() *cobra.Command {
	f := &trainFlags{}
	c := &cobra.Command{
		Use:   "train --model M --data KIND:PATH --out FILE.safetensors [flags]",
		Short: "Train a zoo network with SGD on the CPU",
		Long: `Trains a zoo network on the CPU with PyTorch's semantics: batch norm in training mode (batch
mean and biased variance; running statistics updated with momentum 0.1 and the unbiased
variance), mean cross-entropy over each batch (the last, partial batch included), and
torch.optim.SGD's update with --momentum, --nesterov and --wd (weight decay on every parameter).
The learning rate is multiplied by --lr-gamma after each epoch in --lr-drops, as the paper's
training code does after epochs 150, 225 and 275. Without --init the weights are drawn as the
paper's code draws them: Kaiming-normal convolutions (fan_in), N(0, 0.001²) linear weights,
zero biases, batch norm γ = 1, β = 0.

Per-epoch training loss and accuracy (and, with --eval-split, the loss and accuracy on that
split in evaluation mode) go to stderr; the final weights to --out, a PyTorch state_dict in
safetensors format that scan reads. With --save-every K, checkpoints <out>_epoch<E>.safetensors
(with <out>_epoch<E>.opt.safetensors holding the momentum buffers) are kept every K epochs,
from epoch 0; running the same command again resumes from the latest one.

Models: ` + strings.Join(model.ZooNames(), ", ") + `; and small ones for quick experiments:
resnetD-cC[-noshort] (the CIFAR ResNet of depth D = 6n+2 with C, 2C, 4C channels) and vgg5-cC
(three conv layers of C, 2C, 4C channels and two linear layers), e.g. ` + strings.Join(model.SmallNames(), ", ") + `.`,
		Example: `  landscape train --model resnet20-c4 --data fashion-mnist:/usr/share/datasets/fashion-mnist --limit 5000 \
      --epochs 10 --batch-size 64 --lr 0.1 --wd 5e-4 --eval-split test --eval-limit 1000 --out r20c4.safetensors
  landscape train --model resnet56 --data cifar10:./cifar-10-batches-bin --epochs 300 --augment crop-flip \
      --nesterov --save-every 10 --out resnet56.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "zoo network (see above)")
	fl.StringVar(&f.dataSpec, "data", "", "dataset KIND:PATH, KIND one of "+strings.Join(data.Kinds(), ", "))
	fl.StringVar(&f.split, "split", "train", "split to train on: train or test")
	fl.IntVar(&f.limit, "limit", 0, "train on the first N examples only (0: all)")
	fl.BoolVar(&f.raw, "raw", false, "scale pixels to [0,1] without mean/std normalisation")
	fl.StringVar(&f.init, "init", "", "initial weights (safetensors state_dict) instead of the Kaiming draw")
	fl.IntVar(&f.epochs, "epochs", 300, "epochs to train")
	fl.IntVar(&f.batch, "batch-size", 128, "images per SGD step")
	fl.Float64Var(&f.lr, "lr", 0.1, "learning rate")
	fl.Float64Var(&f.momentum, "momentum", 0.9, "SGD momentum (0: none)")
	fl.BoolVar(&f.nesterov, "nesterov", false, "Nesterov momentum (the paper's training code turns it on: add --nesterov to train as it does)")
	fl.Float64Var(&f.wd, "wd", 5e-4, "weight decay (L2 penalty, on every parameter)")
	fl.StringVar(&f.lrDrops, "lr-drops", "150,225,275", "epochs after which the learning rate is multiplied by --lr-gamma (\"\": never)")
	fl.Float64Var(&f.gamma, "lr-gamma", 0.1, "learning-rate factor at each drop")
	fl.StringVar(&f.augment, "augment", "none", "none, or crop-flip: random crop of the image padded by 4 pixels, and a random horizontal flip")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the initial weights, the shuffling and the augmentation")
	fl.BoolVar(&f.noShuffle, "no-shuffle", false, "visit the images in file order every epoch")
	fl.IntVar(&f.saveEvery, "save-every", 0, "keep a checkpoint every K epochs (and at epoch 0 and the end), for resuming and trajectories (0: none)")
	fl.StringVar(&f.evalSplit, "eval-split", "", "also report loss and accuracy on this split of --data after every epoch (train or test)")
	fl.IntVar(&f.evalLimit, "eval-limit", 0, "evaluate on the first N examples of --eval-split only (0: all)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "goroutines (each batch is split across them)")
	fl.StringVar(&f.out, "out", "", "the trained weights to write (.safetensors)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress display")
	for _, req := range []string{"model", "data", "out"} {
		c.MarkFlagRequired(req)
	}
	return c
}

// trainSettings is what a resumed run must share with the run that wrote the checkpoints.
type trainSettings struct {
	Model, Data, Split string
	Limit              int
	Raw                bool
	Init, InitSHA256   string `json:",omitempty"`
	BatchSize          int
	LR, Momentum, WD   float64
	Nesterov           bool
	LRDrops            []int
	LRGamma            float64
	Augment            string
	Seed               int64
	Shuffle            bool
}

func parseDrops(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		d, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("--lr-drops %q: %q is not an epoch number", s, p)
		}
		out = append(out, d)
	}
	return out, nil
}

// checkWritable fails early, with the flag's name, when path's directory cannot take a file.
func checkWritable(flag, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".landscape-write-test*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write there: %w", flag, path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func runTrain(parent context.Context, f *trainFlags) error {
	if model.IsGraphFile(f.model) {
		return fmt.Errorf("--model %s: train takes zoo networks only (scan and bench read ONNX files)", f.model)
	}
	drops, err := parseDrops(f.lrDrops)
	if err != nil {
		return err
	}
	cfg := train.Config{Epochs: f.epochs, BatchSize: f.batch, LR: f.lr, Momentum: f.momentum, WD: f.wd,
		Nesterov: f.nesterov, LRDrops: drops, LRGamma: f.gamma, Augment: f.augment, Seed: f.seed,
		Shuffle: !f.noShuffle, Workers: f.workers}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !strings.HasSuffix(f.out, ".safetensors") {
		return fmt.Errorf("--out %q: want a file name ending in .safetensors", f.out)
	}
	if f.limit < 0 || f.evalLimit < 0 {
		return errors.New("--limit and --eval-limit: want a positive number of examples, or 0 for all")
	}
	if f.evalSplit != "" && f.evalSplit != "train" && f.evalSplit != "test" {
		return fmt.Errorf("--eval-split %q: want train or test", f.evalSplit)
	}
	if err := checkWritable("--out", f.out); err != nil {
		return err
	}
	set, err := data.Load(f.dataSpec, data.Options{Split: f.split, Limit: f.limit, Raw: f.raw})
	if err != nil {
		return err
	}
	if set.N == 0 {
		return fmt.Errorf("--data %s (%s split): no images to train on", f.dataSpec, f.split)
	}
	if set.H != set.W {
		return fmt.Errorf("--data %s: images are %dx%d; the zoo networks take square images", f.dataSpec, set.H, set.W)
	}
	var (
		net *model.Net
		w   *model.Weights
	)
	st := trainSettings{Model: f.model, Data: f.dataSpec, Split: f.split, Limit: f.limit, Raw: f.raw, BatchSize: f.batch,
		LR: f.lr, Momentum: f.momentum, WD: f.wd, Nesterov: f.nesterov, LRDrops: drops, LRGamma: f.gamma,
		Augment: f.augment, Seed: f.seed, Shuffle: !f.noShuffle}
	if f.init != "" {
		if net, w, err = model.Load(f.model, f.init, set.H); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
		if net.InC != set.C {
			return fmt.Errorf("--init %s takes %d-channel images, --data %s has %d channels", f.init, net.InC, f.dataSpec, set.C)
		}
		st.Init = f.init
		if st.InitSHA256, err = sha256File(f.init); err != nil {
			return err
		}
	} else {
		if net, err = model.Build(f.model, model.Config{InC: set.C, HW: set.H, Classes: set.Classes}); err != nil {
			return err
		}
		w = train.KaimingInit(net, f.seed)
	}
	js, _ := json.Marshal(st)
	settings := string(js)
	if _, err := os.Stat(f.out); err == nil {
		old, epochs, _, err := train.ReadMeta(f.out)
		switch {
		case err != nil || old != settings:
			return fmt.Errorf("--out %s exists and is not from a run with these settings; delete it or choose another --out", f.out)
		case epochs == f.epochs:
			fmt.Fprintf(os.Stderr, "%s: already trained for %d epochs with these settings; nothing to do\n", f.out, epochs)
			return nil
		}
	}
	tr, err := train.NewTrainer(net, w, set, cfg)
	if err != nil {
		return err
	}
	var test *data.Set
	if f.evalSplit != "" {
		if test, err = data.Load(f.dataSpec, data.Options{Split: f.evalSplit, Limit: f.evalLimit, Raw: f.raw}); err != nil {
			return err
		}
		if test.N == 0 {
			return fmt.Errorf("--eval-split %s of %s: no images", f.evalSplit, f.dataSpec)
		}
	}
	last, err := train.FindCheckpoint(f.out, settings)
	if err != nil {
		return err
	}
	if last >= 0 {
		if err := tr.LoadCheckpoint(f.out, last); err != nil {
			return err
		}
		if last > f.epochs {
			return fmt.Errorf("checkpoint of epoch %d is past --epochs %d", last, f.epochs)
		}
		fmt.Fprintf(os.Stderr, "resuming from the checkpoint after epoch %d\n", last)
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !f.quiet {
		fmt.Fprintf(os.Stderr, "training %s (%d parameters) on %d images of %s, batches of %d, %d goroutines\n",
			f.model, countParams(net), set.N, set.Name, min(f.batch, set.N), f.workers)
	}
	if f.saveEvery > 0 && tr.Epoch == 0 {
		if err := tr.SaveCheckpoint(f.out, settings); err != nil {
			return err
		}
	}
	for tr.Epoch < f.epochs {
		e := tr.Epoch + 1
		bar := newBar((set.N+tr.Net.MaxBatch()-1)/tr.Net.MaxBatch(), fmt.Sprintf("epoch %d/%d: batches", e, f.epochs), f.quiet)
		es, err := tr.RunEpoch(ctx, func(done, _ int) { bar.Set(done) })
		bar.Finish()
		if err != nil {
			if ctx.Err() != nil && parent.Err() == nil {
				interrupted(f, e, tr, settings)
			}
			return err
		}
		if test != nil {
			if es.TestLoss, es.TestAcc, err = train.Evaluate(ctx, net, tr.Net.Weights(), test, f.workers); err != nil {
				if ctx.Err() != nil && parent.Err() == nil {
					interrupted(f, e, tr, settings)
				}
				return err
			}
			es.HasTest = true
		}
		tr.History = append(tr.History, es)
		if !f.quiet {
			fmt.Fprintln(os.Stderr, epochLine(es, f.epochs))
		}
		if f.saveEvery > 0 && (e%f.saveEvery == 0 || e == f.epochs) {
			if err := tr.SaveCheckpoint(f.out, settings); err != nil {
				return err
			}
		}
	}
	if err := model.WriteSafetensors(f.out, tr.Net.Weights(), tr.Meta(settings)); err != nil {
		return err
	}
	fmt.Println(summaryLine(f.out, f.model, tr.History))
	return nil
}

// interrupted reports where a stopped run can resume and exits with status 130.
func interrupted(f *trainFlags, e int, tr *train.Trainer, settings string) {
	msg := "no checkpoint was written (use --save-every to resume later)"
	if last, err := train.FindCheckpoint(f.out, settings); err == nil && last >= 0 {
		msg = fmt.Sprintf("run the same command again to resume from the checkpoint after epoch %d", last)
	}
	fmt.Fprintf(os.Stderr, "landscape: training interrupted in epoch %d; %s\n", e, msg)
	os.Exit(130)
}

func countParams(n *model.Net) int {
	c := 0
	for _, p := range n.Params {
		if p.Kind.IsParameter() {
			c += model.Numel(p.Shape)
		}
	}
	return c
}

func epochLine(es train.EpochStats, epochs int) string {
	s := fmt.Sprintf("epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%", es.Epoch, epochs, es.LR, es.Loss, es.Acc)
	if es.HasTest {
		s += fmt.Sprintf("  eval loss %.4f acc %.2f%%", es.TestLoss, es.TestAcc)
	}
	return s + fmt.Sprintf("  (%.1f s, %.0f images/s)", es.Seconds, float64(es.Images)/es.Seconds)
}

// summaryLine is the one line train prints on stdout: where the weights are and how they fared.
func summaryLine(out, name string, h []train.EpochStats) string {
	if len(h) == 0 {
		return fmt.Sprintf("%s: %s, not trained", out, name)
	}
	l := h[len(h)-1]
	s := fmt.Sprintf("%s: %s after %d epochs: train loss %.4f acc %.2f%%", out, name, l.Epoch, l.Loss, l.Acc)
	if l.HasTest {
		s += fmt.Sprintf(", eval loss %.4f acc %.2f%%", l.TestLoss, l.TestAcc)
	}
	return s
}

// synthCmd writes the synthetic stand-in for Fashion-MNIST the demo uses when the real one is
// missing (hidden: a helper, not a user command).
func synthCmd() *cobra.Command {
	var dir string
	var nTrain, nTest int
	var seed int64
	c := &cobra.Command{
		Use:    "synth-data --out DIR",
		Short:  "Write a small synthetic image set in Fashion-MNIST's format",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := train.WriteSyntheticIDX(dir, nTrain, nTest, seed); err != nil {
				return err
			}
			fmt.Printf("fashion-mnist:%s\n", dir)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "out", "", "directory to write")
	c.Flags().IntVar(&nTrain, "train", 6000, "training images")
	c.Flags().IntVar(&nTest, "test", 1000, "test images")
	c.Flags().Int64Var(&seed, "seed", 1, "seed")
	c.MarkFlagRequired("out")
	return c
}
