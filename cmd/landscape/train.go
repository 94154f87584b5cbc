package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"landscape/job"
	"landscape/model"
	"landscape/train"
)

func init() { extraCommands = append(extraCommands, trainCmd, synthCmd) }

type trainFlags struct {
	model, init, out            string
	input                       inputFlags
	augment, lrDrops, evalSplit string
	evalLimit, epochs, batch    int
	saveEvery, workers          int
	nesterov, noShuffle, quiet  bool
	lr, momentum, wd, gamma     float64
	seed                        int64
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
	f.input.register(c, "train on")
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

func runTrain(parent context.Context, f *trainFlags) error {
	drops, err := parseDrops(f.lrDrops)
	if err != nil {
		return err
	}
	in, err := f.input.input()
	if err != nil {
		return err
	}
	spec := job.TrainSpec{Model: f.model, Input: in, Init: f.init,
		Out: f.out, EvalSplit: f.evalSplit, EvalLimit: f.evalLimit, SaveEvery: f.saveEvery, Log: logStderr,
		Config: train.Config{Epochs: f.epochs, BatchSize: f.batch, LR: f.lr, Momentum: f.momentum, WD: f.wd,
			Nesterov: f.nesterov, LRDrops: drops, LRGamma: f.gamma, Augment: f.augment, Seed: f.seed,
			Shuffle: !f.noShuffle, Workers: f.workers}}
	t, err := job.PrepareTraining(spec)
	if err != nil {
		return err
	}
	if t.Finished {
		fmt.Fprintf(os.Stderr, "%s: already trained for %d epochs with these settings; nothing to do\n", f.out, f.epochs)
		return nil
	}
	if t.Resumed >= 0 {
		fmt.Fprintf(os.Stderr, "resuming from the checkpoint after epoch %d\n", t.Resumed)
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !f.quiet {
		fmt.Fprintf(os.Stderr, "training %s (%d parameters) on %d images of %s, batches of %d, %d goroutines\n",
			f.model, countParams(t.Net), t.Set.N, t.Set.Name, min(f.batch, t.Set.N), f.workers)
	}
	err = t.Run(ctx, job.TrainHooks{
		Epoch: func(e int) (func(int, int), func()) {
			bar := newBar(t.Batches(), fmt.Sprintf("epoch %d/%d: batches", e, f.epochs), f.quiet)
			return func(done, _ int) { bar.Set(done) }, func() { bar.Finish() }
		},
		EpochDone: func(es train.EpochStats) {
			if !f.quiet {
				fmt.Fprintln(os.Stderr, epochLine(es, f.epochs))
			}
		},
	})
	var stopped *job.Interrupted
	if errors.As(err, &stopped) && parent.Err() == nil {
		return interrupted{stopped} // exit status 130, deferred cleanup done
	}
	if err != nil {
		return err
	}
	fmt.Println(summaryLine(f.out, f.model, t.Trainer.History))
	return nil
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
