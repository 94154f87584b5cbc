package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/model"
	"landscape/scan"
	"landscape/surface"
)

type scanFlags struct {
	model, weights, weights2, dataSpec, split string
	limit                                     int
	raw                                       bool
	normalize                                 string
	x, y                                      string
	norm, ignore, dirType, dirs, saveDirs     string
	seed                                      int64
	batch, workers                            int
	out                                       string
	quiet                                     bool
	dev                                       deviceFlags
	saveEvery                                 time.Duration
}

func scanCmd() *cobra.Command {
	f := &scanFlags{}
	c := &cobra.Command{
		Use:   "scan --model M --weights W.safetensors --data KIND:PATH --x MIN:MAX:NUM [--y MIN:MAX:NUM] --out FILE.npz",
		Short: "Evaluate loss and accuracy on a 1D line or 2D grid around the weights",
		Long: `Evaluates L(θ + x·δ + y·η) — mean cross-entropy and accuracy over the selected examples —
at every point of linspace(MIN, MAX, NUM) (× the y axis for 2D), with δ, η random Gaussian
directions normalised per filter (Li et al. 2018), directions from --dirs, or δ = W2 − W for
1D interpolation with --weights2. Results go to an .npz file (the paper code's keys) that is
replaced atomically as points complete; running the same command again computes only the
missing points.`,
		Example: `  landscape scan --model resnet20 --weights resnet20.safetensors --data cifar10:./cifar-10-batches-bin \
      --x -1:1:51 --y -1:1:51 --out resnet20_2d.npz
  landscape scan --model resnet20 --weights a.safetensors --weights2 b.safetensors --data cifar10:./cifar \
      --x -0.5:1.5:41 --dir-type states --out interp.npz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScan(cmd.Context(), f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "zoo network: resnet20/32/44/56/110 or any resnet<6n+2>, wrn56-2/4/8 (each also -noshort), vgg9; small: resnetD-cC[-noshort], vgg5-cC")
	fl.StringVar(&f.weights, "weights", "", "the trained weights θ: a PyTorch state_dict saved as .safetensors")
	fl.StringVar(&f.weights2, "weights2", "", "a second solution W2: the x direction becomes W2 − W (1D interpolation)")
	fl.StringVar(&f.dataSpec, "data", "", "dataset KIND:PATH, KIND one of "+strings.Join(data.Kinds(), ", "))
	fl.StringVar(&f.split, "split", "train", "train or test")
	fl.IntVar(&f.limit, "limit", 0, "use only the first N examples (0: all)")
	fl.BoolVar(&f.raw, "raw", false, "scale pixels to [0,1] without mean/std normalisation")
	normalizeFlag(c, &f.normalize)
	fl.StringVar(&f.x, "x", "", "x axis MIN:MAX:NUM")
	fl.StringVar(&f.y, "y", "", "y axis MIN:MAX:NUM (2D scan)")
	fl.StringVar(&f.norm, "norm", "filter", "direction normalisation: filter, layer, weight or none")
	fl.StringVar(&f.ignore, "ignore", "biasbn", "biasbn: zero the directions of biases and BN parameters; none: set them to the weights")
	fl.StringVar(&f.dirType, "dir-type", "weights", "weights: perturb parameters only; states: running_mean/running_var too")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the random directions")
	fl.StringVar(&f.dirs, "dirs", "", "safetensors file with tensors x.<name> (and y.<name>) to use instead of a random draw")
	fl.StringVar(&f.saveDirs, "save-dirs", "", "write the directions used to this safetensors file")
	fl.IntVar(&f.batch, "batch-size", 0, "images per engine call (0: the engine's choice)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "CPU worker goroutines")
	fl.StringVar(&f.out, "out", "", "the surface file to write (.npz)")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fl.DurationVar(&f.saveEvery, "save-every", 2*time.Second, "how often the surface file is replaced while points complete")
	f.dev.register(c)
	for _, req := range []string{"model", "weights", "data", "x", "out"} {
		c.MarkFlagRequired(req)
	}
	return c
}

// sha256File returns the hex SHA-256 of a file's contents.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// setup is everything a scan needs, built from the flags and checked.
type setup struct {
	problem  *engine.Problem
	surface  *surface.Surface
	old      *surface.Surface // the existing --out, checked but for the engine kind
	points   []engine.Point
	settings surface.Settings
}

func prepareScan(f *scanFlags) (*setup, error) {
	xa, err := surface.ParseAxis("--x", f.x)
	if err != nil {
		return nil, err
	}
	var ya surface.Axis
	if f.y != "" {
		if ya, err = surface.ParseAxis("--y", f.y); err != nil {
			return nil, err
		}
	}
	opt := direction.Options{Norm: f.norm, Ignore: f.ignore, DirType: f.dirType}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if f.split != "train" && f.split != "test" {
		return nil, fmt.Errorf("--split %q: want train or test", f.split)
	}
	if f.limit < 0 {
		return nil, fmt.Errorf("--limit %d: want a positive number of examples, or 0 for all", f.limit)
	}
	if f.weights2 != "" && f.dirs != "" {
		return nil, errors.New("--weights2 and --dirs both set the x direction: give one of them")
	}
	if !strings.HasSuffix(f.out, ".npz") {
		return nil, fmt.Errorf("--out %q: want a file name ending in .npz", f.out)
	}
	dopt, err := dataOptions(f.split, f.limit, f.raw, f.normalize)
	if err != nil {
		return nil, err
	}
	set, err := data.Load(f.dataSpec, dopt)
	if err != nil {
		return nil, err
	}
	if set.H != set.W {
		return nil, fmt.Errorf("--data %s: images are %dx%d; the zoo networks take square images", f.dataSpec, set.H, set.W)
	}
	net, w, err := model.Load(f.model, f.weights, set.H)
	if err != nil {
		return nil, err
	}
	if set, err = matchChannels(f.dataSpec, dopt, set, net.InC); err != nil {
		return nil, err
	}
	if set.C != net.InC {
		return nil, fmt.Errorf("--data %s has %d-channel images but %s (conv1) takes %d channels", f.dataSpec, set.C, f.weights, net.InC)
	}
	st := surface.Settings{Format: surface.Format, Numerics: surface.Numerics, Model: f.model, Weights: f.weights, Data: f.dataSpec, DataSHA256: set.SHA256(), Precision: f.dev.precision, Split: f.split, Limit: f.limit,
		Examples: set.N, Raw: f.raw, X: xa.String(), Norm: f.norm, Ignore: f.ignore, DirType: f.dirType, Seed: f.seed,
		Dirs: f.dirs, Weights2: f.weights2}
	if ya.Num > 0 {
		st.Y = ya.String()
	}
	hashes := []struct {
		path string
		dst  *string
	}{{f.weights, &st.WeightsSHA256}, {f.dirs, &st.DirsSHA256}, {f.weights2, &st.Weights2SHA256}}
	for _, h := range hashes {
		if h.path != "" {
			if *h.dst, err = sha256File(h.path); err != nil {
				return nil, err
			}
		}
	}
	dx, dy, err := makeDirections(f, net, w, opt, ya.Num > 0)
	if err != nil {
		return nil, err
	}
	p, err := engine.NewProblem(net, w, dx, dy, set)
	if err != nil {
		return nil, err
	}

	sf := surface.New(xa, ya, f.split, st)
	var old *surface.Surface
	if surface.Exists(f.out) {
		if old, err = surface.Load(f.out); err != nil {
			return nil, fmt.Errorf("--out %s exists and cannot be resumed (%v); choose another --out", f.out, err)
		}
		if d := old.Settings.Diff(st, "engine"); len(d) > 0 {
			return nil, fmt.Errorf("--out %s holds a scan with other settings:\n  %s\nchoose another --out, or delete the file to start over",
				f.out, strings.Join(d, "\n  "))
		}
	}
	if f.saveDirs != "" {
		if err := saveDirections(f.saveDirs, dx, dy, st); err != nil {
			return nil, err
		}
	}
	pts := make([]engine.Point, sf.Len())
	for k := range pts {
		pts[k].A, pts[k].B = sf.Coord(k)
	}
	return &setup{problem: p, surface: sf, old: old, points: pts, settings: st}, nil
}

// makeDirections builds δ (and η for 2D): W2 − W with --weights2, else a random draw or --dirs,
// normalised as the options say.
func makeDirections(f *scanFlags, net *model.Net, w *model.Weights, opt direction.Options, twoD bool) (dx, dy *model.Weights, err error) {
	if f.dirs != "" {
		dx, dy, err = direction.Load(f.dirs, net, f.dirType, twoD)
		if err != nil {
			return nil, nil, err
		}
	} else {
		dx = direction.Random(net, f.dirType, f.seed, 0)
		if twoD {
			dy = direction.Random(net, f.dirType, f.seed, 1)
		}
	}
	if f.weights2 != "" {
		n2, w2, err := model.Load(f.model, f.weights2, net.HW)
		if err != nil {
			return nil, nil, fmt.Errorf("--weights2: %w", err)
		}
		if n2.InC != net.InC || n2.Classes != net.Classes {
			return nil, nil, fmt.Errorf("--weights2 %s: %d input channels and %d classes, --weights has %d and %d", f.weights2, n2.InC, n2.Classes, net.InC, net.Classes)
		}
		dx = direction.Target(net, w, w2, f.dirType)
	} else {
		direction.Normalize(dx, w, opt)
	}
	if dy != nil {
		direction.Normalize(dy, w, opt)
	}
	return dx, dy, nil
}

// saveDirections writes the directions, refusing to replace a different existing file.
func saveDirections(path string, dx, dy *model.Weights, st surface.Settings) error {
	meta := map[string]string{"model": st.Model, "weights_sha256": st.WeightsSHA256, "norm": st.Norm, "ignore": st.Ignore, "dir_type": st.DirType}
	tmp, err := os.CreateTemp("", "dirs*.safetensors")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := direction.Save(tmp.Name(), dx, dy, meta); err != nil {
		return err
	}
	if surface.Exists(path) {
		a, err := sha256File(path)
		if err != nil {
			return fmt.Errorf("--save-dirs: %w", err)
		}
		b, err := sha256File(tmp.Name())
		if err != nil {
			return err
		}
		if a == b {
			return nil
		}
		return fmt.Errorf("--save-dirs %s exists with other directions; not overwriting it (choose another name or delete it)", path)
	}
	return direction.Save(path, dx, dy, meta)
}

func runScan(parent context.Context, f *scanFlags) error {
	if err := f.dev.validate(); err != nil {
		return err
	}
	switch {
	case f.workers < 1:
		return fmt.Errorf("--workers %d: want at least 1", f.workers)
	case f.saveEvery <= 0:
		return fmt.Errorf("--save-every %v: want a positive duration, e.g. 2s", f.saveEvery)
	case f.batch < 0:
		return fmt.Errorf("--batch-size %d: want a positive number of images, or 0 for the engine's choice", f.batch)
	}
	s, err := prepareScan(f)
	if err != nil {
		return err
	}
	sf := s.surface
	if s.old != nil && len(s.old.Missing()) == 0 {
		fmt.Fprintf(os.Stderr, "%s: all %d points already computed\n", f.out, sf.Len())
		return nil
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	engines, opt, closeEngines, err := f.dev.open(ctx, s.problem, f.workers, f.batch)
	if err != nil {
		return err
	}
	defer closeEngines()
	sf.Settings.Engine = engineKind(engines)
	if s.old != nil {
		if err := s.old.Settings.CheckResume("--out "+f.out, sf.Settings); err != nil {
			return err
		}
		st := sf.Settings
		sf = s.old
		sf.Settings = st // refresh the informative paths and the format
		if n := sf.Len() - len(sf.Missing()); n > 0 {
			fmt.Fprintf(os.Stderr, "%s: resuming, %d of %d points already computed\n", f.out, n, sf.Len())
		}
	}
	todo := sf.Missing()
	if err := sf.Save(f.out); err != nil { // fail early on an unwritable --out
		return fmt.Errorf("--out: %w", err)
	}
	bar := newBar(len(todo), "points", f.quiet)
	sv := &saver{sf: sf, path: f.out}
	done := func(k int, loss, acc float64) {
		sv.set(k, loss, acc)
		bar.Add(1)
	}
	stopSaving := sv.every(f.saveEvery)
	runErr := scan.Run(ctx, s.problem, s.points, todo, engines, opt, done)
	stopSaving()
	bar.Finish()
	if err := sv.flush(); err != nil {
		return err
	}
	if runErr != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			return errInterrupted
		}
		return runErr
	}
	summary(sf, f.out)
	return nil
}

// saver keeps the surface file up to date: points are recorded under a lock the scheduler's
// callback holds only briefly; the file is encoded and replaced at most every interval, and once
// more at the end, one write at a time so that a later state is never overwritten by an earlier.
type saver struct {
	mu    sync.Mutex // guards sf and dirty
	sf    *surface.Surface
	dirty bool
	write sync.Mutex // one encode-and-write at a time
	path  string
	err   error // the first failed write
}

func (s *saver) set(k int, loss, acc float64) {
	s.mu.Lock()
	s.sf.Set(k, loss, acc)
	s.dirty = true
	s.mu.Unlock()
}

// flush writes the surface if points were added since the last write; it returns the first
// write error so far.
func (s *saver) flush() error {
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	var b []byte
	var err error
	if s.dirty {
		b, err = s.sf.Encode()
		s.dirty = false
	}
	s.mu.Unlock()
	if b != nil {
		err = model.WriteFileAtomic(s.path, b)
	}
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("%s: %w", s.path, err)
	}
	return s.err
}

// every flushes every interval until the returned stop is called.
func (s *saver) every(interval time.Duration) (stop func()) {
	t := time.NewTicker(interval)
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-t.C:
				s.flush()
			case <-quit:
				return
			}
		}
	}()
	return func() {
		t.Stop()
		close(quit)
		<-finished
	}
}

// engineKind is "gpu" when the engines are GPU engines, else "cpu".
func engineKind(es []engine.Engine) string {
	if len(es) > 0 && strings.HasPrefix(es[0].Name(), "gpu") {
		return "gpu"
	}
	return "cpu"
}

// summary prints one line: where the surface is and its value at the grid point nearest the origin.
func summary(sf *surface.Surface, out string) {
	best, bd := 0, -1.0
	for k := range sf.Len() {
		a, b := sf.Coord(k)
		if d := a*a + b*b; bd < 0 || d < bd {
			best, bd = k, d
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d points; at the point nearest the origin loss %.5f, accuracy %.2f%%\n",
		out, sf.Len(), sf.Loss[best], sf.Acc[best])
}
