package job

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"landscape/data"
	"landscape/model"
	"landscape/train"
)

// TrainSpec is everything a training run is made from (the landscape train flags).
type TrainSpec struct {
	Model     string // --model
	Input            // --data, --split to train on, --limit, --raw, --normalize, --resize, --center-crop
	Init      string // --init: initial weights instead of the paper's Kaiming draw
	Out       string // --out: the final weights (.safetensors)
	Config    train.Config
	EvalSplit string // --eval-split: also evaluate on this split after every epoch ("": none)
	EvalLimit int    // --eval-limit
	SaveEvery int    // --save-every K epochs: checkpoints (0: none)
	Log       Logf
}

// trainSettings is what a resumed run must share with the run that wrote the checkpoints.
type trainSettings struct {
	Model, Data, Split string
	Limit              int
	Raw                bool
	// The options added after the first checkpoints were written: absent when not given, so
	// that older runs still resume.
	Normalize        string `json:",omitempty"`
	Resize, Crop     int    `json:",omitempty"`
	Init, InitSHA256 string `json:",omitempty"`
	BatchSize        int
	LR, Momentum, WD float64
	Nesterov         bool
	LRDrops          []int
	LRGamma          float64
	Augment          string
	Seed             int64
	Shuffle          bool
}

// Training is a prepared training run.
type Training struct {
	Spec     TrainSpec
	Trainer  *train.Trainer
	Set      *data.Set // the training images
	Test     *data.Set // the evaluation images, or nil
	Settings string    // the run's settings as recorded in its files
	// Finished is set when --out already holds these settings trained for every epoch.
	Finished bool
	// Resumed is the epoch of the checkpoint the run resumes from, or -1.
	Resumed int
	Net     *model.Net
}

// validate checks the spec's values, naming their flags, before anything is read.
func (s *TrainSpec) validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	switch {
	case !strings.HasSuffix(s.Out, ".safetensors"):
		return fmt.Errorf("--out %q: want a file name ending in .safetensors", s.Out)
	case s.EvalLimit < 0:
		return fmt.Errorf("--eval-limit %d: want a positive number of examples, or 0 for all", s.EvalLimit)
	case s.EvalSplit != "":
		if err := data.CheckSplit("--eval-split", s.EvalSplit); err != nil {
			return err
		}
	}
	return s.Input.validate()
}

// settings are what the run records in its files (trainSettings), but for --init, set once
// the file is read.
func (s *TrainSpec) settings() trainSettings {
	cfg := s.Config
	st := trainSettings{Model: s.Model, Data: s.Data, Split: s.Split, Limit: s.Limit, Raw: s.Raw,
		Resize: s.Resize, Crop: s.CenterCrop,
		BatchSize: cfg.BatchSize, LR: cfg.LR, Momentum: cfg.Momentum, WD: cfg.WD, Nesterov: cfg.Nesterov,
		LRDrops: cfg.LRDrops, LRGamma: cfg.LRGamma, Augment: cfg.Augment, Seed: cfg.Seed, Shuffle: cfg.Shuffle}
	if s.Normalize != nil {
		st.Normalize = s.Normalize.String()
	}
	return st
}

// PrepareTraining checks the spec, loads data and weights, and finds the checkpoint to resume
// from (one of the same settings), or that the run is already finished.
func PrepareTraining(spec TrainSpec) (*Training, error) {
	spec.Log = spec.Log.orDiscard()
	if model.IsGraphFile(spec.Model) {
		return nil, fmt.Errorf("--model %s: train takes zoo networks only (scan and bench read ONNX files)", spec.Model)
	}
	cfg := spec.Config
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if err := CheckWritable("--out", spec.Out); err != nil {
		return nil, err
	}
	set, err := spec.Input.load(true)
	if err != nil {
		return nil, err
	}
	st := spec.settings()
	var (
		net *model.Net
		w   *model.Weights
	)
	if spec.Init != "" {
		if net, w, err = model.Load(spec.Model, spec.Init, set.H); err != nil {
			return nil, fmt.Errorf("--init: %w", err)
		}
		if set, err = spec.Input.fit(set, net, "--init "+spec.Init); err != nil {
			return nil, err
		}
		st.Init = spec.Init
		if st.InitSHA256, err = SHA256File(spec.Init); err != nil {
			return nil, err
		}
	} else {
		if net, err = model.Build(spec.Model, model.Config{InC: set.C, HW: set.H, Classes: set.Classes}); err != nil {
			return nil, err
		}
		w = train.KaimingInit(net, cfg.Seed)
	}
	js, _ := json.Marshal(st)
	t := &Training{Spec: spec, Set: set, Settings: string(js), Resumed: -1, Net: net}
	if _, err := os.Stat(spec.Out); err == nil {
		old, epochs, _, err := train.ReadMeta(spec.Out)
		switch {
		case err != nil || old != t.Settings:
			return nil, fmt.Errorf("--out %s exists and is not from a run with these settings; delete it or choose another --out", spec.Out)
		case epochs == cfg.Epochs:
			t.Finished = true
			return t, nil
		}
	}
	if t.Trainer, err = train.NewTrainer(net, w, set, cfg); err != nil {
		return nil, err
	}
	if spec.EvalSplit != "" {
		evalIn := spec.Input
		evalIn.Split, evalIn.Limit, evalIn.Channels = spec.EvalSplit, spec.EvalLimit, set.C
		if t.Test, err = evalIn.load(true); err != nil {
			return nil, fmt.Errorf("--eval-split: %w", err)
		}
	}
	last, err := train.FindCheckpoint(spec.Out, t.Settings)
	if err != nil {
		return nil, err
	}
	if last >= 0 {
		if last > cfg.Epochs {
			return nil, fmt.Errorf("checkpoint of epoch %d is past --epochs %d", last, cfg.Epochs)
		}
		if err := t.Trainer.LoadCheckpoint(spec.Out, last); err != nil {
			return nil, err
		}
		t.Resumed = last
	}
	return t, nil
}

// TrainHooks report a run's progress: Epoch returns the progress function of epoch e (called
// with the batches done and their total); EpochDone receives each epoch's statistics. Either
// may be nil.
type TrainHooks struct {
	Epoch     func(e int) (progress func(done, total int), finish func())
	EpochDone func(train.EpochStats)
}

// Interrupted is the error of a run stopped by its context: the epoch it was in and the
// latest checkpoint to resume from (-1: none).
type Interrupted struct {
	Epoch, Checkpoint int
	Err               error
}

func (e *Interrupted) Error() string {
	if e.Checkpoint < 0 {
		return fmt.Sprintf("training interrupted in epoch %d; no checkpoint was written (use --save-every to resume later)", e.Epoch)
	}
	return fmt.Sprintf("training interrupted in epoch %d; run the same command again to resume from the checkpoint after epoch %d", e.Epoch, e.Checkpoint)
}

func (e *Interrupted) Unwrap() error { return e.Err }

// Run trains the remaining epochs, writing checkpoints every SaveEvery epochs (and at epoch 0
// and the end) and the final weights to Out.
func (t *Training) Run(ctx context.Context, hooks TrainHooks) error {
	if t.Finished {
		return nil
	}
	tr, spec := t.Trainer, t.Spec
	epochs := spec.Config.Epochs
	stopped := func(e int, err error) error {
		if ctx.Err() == nil {
			return err
		}
		last, ferr := train.FindCheckpoint(spec.Out, t.Settings)
		if ferr != nil {
			last = -1
		}
		return &Interrupted{Epoch: e, Checkpoint: last, Err: err}
	}
	if spec.SaveEvery > 0 && tr.Epoch == 0 {
		if err := tr.SaveCheckpoint(spec.Out, t.Settings); err != nil {
			return err
		}
	}
	for tr.Epoch < epochs {
		e := tr.Epoch + 1
		progress, finish := func(int, int) {}, func() {}
		if hooks.Epoch != nil {
			progress, finish = hooks.Epoch(e)
		}
		es, err := tr.RunEpoch(ctx, progress)
		finish()
		if err != nil {
			return stopped(e, err)
		}
		if t.Test != nil {
			if es.TestLoss, es.TestAcc, err = train.Evaluate(ctx, t.Net, tr.Net.Weights(), t.Test, spec.Config.Workers); err != nil {
				return stopped(e, err)
			}
			es.HasTest = true
		}
		tr.History = append(tr.History, es)
		if hooks.EpochDone != nil {
			hooks.EpochDone(es)
		}
		if spec.SaveEvery > 0 && (e%spec.SaveEvery == 0 || e == epochs) {
			if err := tr.SaveCheckpoint(spec.Out, t.Settings); err != nil {
				return err
			}
		}
	}
	return model.WriteSafetensors(spec.Out, tr.Net.Weights(), tr.Meta(t.Settings))
}

// Batches is the number of batches of an epoch.
func (t *Training) Batches() int {
	mb := t.Trainer.Net.MaxBatch()
	return (t.Set.N + mb - 1) / mb
}
