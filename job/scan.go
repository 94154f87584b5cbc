package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"landscape/cpu"
	"landscape/data"
	"landscape/direction"
	"landscape/engine"
	"landscape/internal/cpuinfo"
	"landscape/model"
	"landscape/sched"
	"landscape/surface"
)

// ScanSpec is everything a scan is made from; the field comments name the landscape scan
// flags they come from.
type ScanSpec struct {
	Model    string // --model: a zoo network
	Weights  string // --weights: θ, a safetensors state_dict
	Weights2 string // --weights2: the x direction is W2 − W (1D interpolation)
	Weights3 string // --weights3: with Weights2, the y direction is W3 − W (the plane through three solutions)
	Input           // --data, --split, --limit, --raw, --normalize, --resize, --center-crop
	X, Y     string // --x, --y: axes MIN:MAX:NUM (Y "" for 1D)
	Norm     string // --norm filter|layer|weight|none
	Ignore   string // --ignore biasbn|none
	DirType  string // --dir-type weights|states
	Seed     int64  // --seed of the random directions
	Dirs     string // --dirs: directions from a safetensors file
	SaveDirs string // --save-dirs: write the directions used
	Out      string // --out: the surface file (.npz)

	Device  Device
	Workers int // --workers: CPU engines
	Batch   int // --batch-size: images per engine call (0: the engine's choice)

	SaveEvery time.Duration // --save-every: how often the file is replaced (0: 2 s)
	// Patience is how long the output may stay unwritable before the scan stops and writes a
	// rescue file (0: a minute).
	Patience time.Duration

	// Select, when set, chooses the points this scan computes, by k in the file's row-major
	// order (surface.Surface.Index); the others stay NaN and not computed. Shard is recorded
	// in the settings (e.g. "2/4"), so that files of different shards are told apart.
	Select func(k int) bool
	Shard  string
	// Hessian, for an eigenvalue map (landscape hessian --x), says how its eigenvalues are
	// computed; recorded in the settings so that a loss scan and a map never resume each other.
	Hessian string

	// Order is the order points are computed in (--order): "coarse" or "" for coarse to fine
	// (surface.CoarseToFine: a partial file holds whole coarser grids), "rows" for row-major.
	Order string
	// Tolerance (--tolerance), when positive, estimates each point's loss from a sample of the
	// data (sched.Options.Tolerance), the data shuffled with SampleSeed (--sample-seed).
	Tolerance  float64
	SampleSeed int64

	Log Logf // messages for the user

	weightsSHA string
}

// Scan is a prepared scan: inputs read and checked, directions made, the existing output (if
// any) checked for resuming.
type Scan struct {
	Spec    ScanSpec
	Problem *engine.Problem
	// Surface is what the output will hold: the existing file's points when resuming.
	Surface *surface.Surface
	Points  []engine.Point    // the coordinates of every grid point, by k
	Todo    []int             // the points still to compute, by k
	Resumed int               // points already in the file
	old     *surface.Settings // the settings of the file resumed, or nil
}

func (s *ScanSpec) validate() (xa, ya surface.Axis, err error) {
	if xa, err = surface.ParseAxis("--x", s.X); err != nil {
		return
	}
	if s.Y != "" {
		if ya, err = surface.ParseAxis("--y", s.Y); err != nil {
			return
		}
	}
	if err = (direction.Options{Norm: s.Norm, Ignore: s.Ignore, DirType: s.DirType}).Validate(); err != nil {
		return
	}
	if err = s.Device.Validate(); err != nil {
		return
	}
	if err = s.Input.validate(); err != nil {
		return
	}
	switch {
	case s.Weights3 != "" && (s.Weights2 == "" || s.Y == ""):
		err = errors.New("--weights3 needs --weights2 and --y: the plane through W, W2 and W3 is 2D")
	case s.Weights2 != "" && s.Dirs != "":
		err = errors.New("--weights2 and --dirs both set the x direction: give one of them")
	case !strings.HasSuffix(s.Out, ".npz"):
		err = fmt.Errorf("--out %q: want a file name ending in .npz", s.Out)
	case s.Workers < 1:
		err = fmt.Errorf("--workers %d: want at least 1", s.Workers)
	case s.SaveEvery < 0:
		err = fmt.Errorf("--save-every %v: want a positive duration, e.g. 2s", s.SaveEvery)
	case !slices.Contains(Orders, cmp.Or(s.Order, "coarse")):
		err = fmt.Errorf("--order %q: want %s", s.Order, strings.Join(Orders, " or "))
	case s.Tolerance < 0 || s.Tolerance >= 1 || math.IsNaN(s.Tolerance):
		err = fmt.Errorf("--tolerance %v: want a relative standard error in (0, 1), e.g. 0.01, or 0 for exact", s.Tolerance)
	case s.Batch < 0:
		err = fmt.Errorf("--batch-size %d: want a positive number of images, or 0 for the engine's choice", s.Batch)
	}
	return
}

// PrepareScan reads and checks everything a scan needs, and the existing output file: a file
// of other settings is an error listing the differences (the engine kind is checked by Run,
// once the engines are open).
func PrepareScan(spec ScanSpec) (*Scan, error) {
	spec.Log = spec.Log.orDiscard()
	if spec.SaveEvery == 0 {
		spec.SaveEvery = 2 * time.Second
	}
	if spec.Patience == 0 {
		spec.Patience = time.Minute
	}
	xa, ya, err := spec.validate()
	if err != nil {
		return nil, err
	}
	if err := CheckWritable("--out", spec.Out); err != nil {
		return nil, err
	}
	if spec.Weights == "" && !model.IsGraphFile(spec.Model) {
		return nil, fmt.Errorf("--weights is required for zoo network %s (a --model FILE.onnx carries its own)", spec.Model)
	}
	set, net, w, err := spec.Input.loadWith(spec.Model, spec.Weights)
	if err != nil {
		return nil, err
	}
	st, err := spec.settings(set, xa, ya)
	if err != nil {
		return nil, err
	}
	if spec.Tolerance > 0 {
		set = shuffled(set, permutation(set.N, spec.SampleSeed))
	}
	spec.weightsSHA = st.WeightsSHA256
	dx, dy, used, err := spec.directions(net, w, ya.Num > 0, spec.Log)
	if err != nil {
		return nil, err
	}
	st.Norm, st.Ignore = used.Norm, used.Ignore
	p, err := engine.NewProblem(net, w, dx, dy, set)
	if err != nil {
		return nil, err
	}
	st.CPUKernel = cpu.PlanKernelName(p.Plan, spec.Device.CPUOptions())
	sc := &Scan{Spec: spec, Problem: p, Surface: surface.New(xa, ya, spec.Split, st)}
	if err := sc.resume(st); err != nil {
		return nil, err
	}
	if spec.SaveDirs != "" {
		if err := spec.saveDirs(dx, dy, used); err != nil {
			return nil, err
		}
	}
	sc.Points = make([]engine.Point, sc.Surface.Len())
	for k := range sc.Points {
		sc.Points[k].A, sc.Points[k].B = sc.Surface.Coord(k)
	}
	sc.Todo = spec.todo(sc.Surface)
	if st.Tolerance > 0 {
		sc.Surface.ExtraArray(surface.StdErrKey(spec.Split))
		sc.Surface.ExtraArray(surface.ImagesKey(spec.Split))
	}
	if sc.old != nil {
		sc.Surface.Settings = st // the informative paths of this run; the engine is set by Run
		sc.Surface.Settings.Engine = sc.old.Engine
	}
	return sc, nil
}

// settings returns the settings a scan of spec over set records in its file: the inputs, the
// axes, the numerics, and the SHA-256 of every file the weights and directions come from.
func (spec *ScanSpec) settings(set *data.Set, xa, ya surface.Axis) (surface.Settings, error) {
	st := surface.Settings{Format: surface.Format, Numerics: surface.Numerics, Model: spec.Model, Weights: spec.Weights,
		Data: spec.Data, DataSHA256: set.SHA256(), Split: spec.Split, Limit: spec.Limit, Examples: set.N, Raw: spec.Raw,
		X: xa.String(), DirType: spec.DirType, Seed: spec.Seed, Dirs: spec.Dirs, Weights2: spec.Weights2, Weights3: spec.Weights3,
		Precision: spec.Device.Precision, Shard: spec.Shard, Hessian: spec.Hessian,
		CPU: cpuinfo.Model()}
	if ya.Num > 0 {
		st.Y = ya.String()
	}
	if spec.Tolerance > 0 {
		st.Tolerance, st.SampleSeed, st.SampleBatch = spec.Tolerance, spec.SampleSeed, cmp.Or(spec.Batch, DefaultSampleBatch)
	}
	// An .onnx model holding its weights is hashed as the weights: a changed file is not resumed.
	for _, h := range []struct {
		path string
		dst  *string
	}{{cmp.Or(spec.Weights, spec.Model), &st.WeightsSHA256}, {spec.Dirs, &st.DirsSHA256}, {spec.Weights2, &st.Weights2SHA256}, {spec.Weights3, &st.Weights3SHA256}} {
		if h.path != "" {
			var err error
			if *h.dst, err = SHA256File(h.path); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// resume, when the output file exists, checks that its settings match st (but for the engine,
// checked by Run once the engines are open) and takes its points: sc.Surface becomes the file.
func (sc *Scan) resume(st surface.Settings) error {
	out := sc.Spec.Out
	if !surface.Exists(out) {
		return nil
	}
	old, err := surface.Load(out)
	if surface.IsDamaged(err) {
		return fmt.Errorf("--out %v; %s", err, surface.DamagedResumeHint(out))
	} else if err != nil {
		return fmt.Errorf("--out %s exists and cannot be resumed (%v); choose another --out", out, err)
	}
	if err := old.Settings.CheckResume("--out "+out, st, "engine"); err != nil { // the engine: once open
		return err
	}
	oldSettings := old.Settings
	sc.old = &oldSettings
	sc.Surface = old
	sc.Resumed = old.Len() - len(old.Missing())
	return nil
}

// Run computes the points of Todo on the engines of Spec.Device, calling progress (if not nil)
// after each, and keeps the output file up to date (see saver). It returns ctx's error when
// ctx is cancelled, after saving.
func (sc *Scan) Run(ctx context.Context, progress func()) error {
	if len(sc.Todo) == 0 {
		return nil
	}
	spec := sc.Spec
	es, err := spec.Device.Open(ctx, sc.Problem, spec.Workers, spec.Batch, spec.Log)
	if err != nil {
		return err
	}
	defer es.Close()
	sf := sc.Surface
	if sc.old != nil {
		now := sf.Settings
		now.Engine = es.Kind
		if err := sc.old.CheckResume("--out "+spec.Out, now); err != nil {
			return err
		}
	} else {
		sf.Settings.Engine = es.Kind
	}
	if sc.Resumed > 0 {
		spec.Log("%s: resuming, %d of %d points already computed", spec.Out, sc.Resumed, sf.Len())
	}
	if err := sf.Save(spec.Out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return keepSaved(ctx, sf, spec, func(ctx context.Context, sv *saver) error {
		opt := es.Options
		sampled := sf.Settings.Tolerance > 0
		if sampled {
			opt.Tolerance, opt.Images = sf.Settings.Tolerance, sf.Settings.SampleBatch
		}
		if fb := opt.Fallback; fb != nil && es.Kind != "cpu" {
			mixed := surface.MixEngines(sf.Settings.Engine, "cpu")
			opt.Fallback = func(p *engine.Problem) (engine.Engine, error) {
				sv.setEngine(mixed) // the file now holds points of both kinds
				return fb(p)
			}
		}
		levels := newLevelWatch(sf, spec.Log)
		return sched.RunResults(ctx, sc.Problem, sc.Points, sc.Todo, es.List, opt, func(k int, r sched.Result) {
			sv.update(func(sf *surface.Surface) { record(sf, k, r, sampled) })
			levels.done(k)
			if progress != nil {
				progress()
			}
		})
	})
}

// CheckWritable fails, naming the flag, when path's folder cannot take a new file.
func CheckWritable(flag, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".landscape-write-test*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write there: %w", flag, path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
