package surface

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Format is the layout version of the files Save writes (the "format" key of the settings):
//
//	1: 2D arrays stored [i, j] = (x_i, y_j), shape (nx, ny); files without a "format" key.
//	2: 2D arrays stored Z[j, i] = (x_i, y_j), shape (ny, nx), as np.meshgrid(x, y) and
//	   matplotlib's contour(x, y, Z) have them (the paper's plot_2D.py).
//
// Load reads both and returns the same Surface; Save writes format 2 only.
const Format = 2

// Numerics is the version of the computed values: bumped whenever a change of the code alters
// the numbers a scan computes (a different summation order, a new kernel, …), so that a file is
// never resumed with points from two versions. Files written before the key existed are 1.
const Numerics = 1

// Settings are what a scan's results depend on. A file is resumed only by a scan whose
// settings are equal; input files are compared by their SHA-256 (the dataset by that of the
// examples it yields), not their paths. The images per engine call (--batch-size) are not
// among them: they change how the per-point sums are added up, by float rounding only.
type Settings struct {
	Format         int    `json:"format"`
	Numerics       int    `json:"numerics"`
	Model          string `json:"model"`
	Weights        string `json:"weights"`
	WeightsSHA256  string `json:"weights_sha256"`
	Data           string `json:"data"`
	DataSHA256     string `json:"data_sha256"`
	Split          string `json:"split"`
	Limit          int    `json:"limit"`
	Examples       int    `json:"examples"`
	Raw            bool   `json:"raw"`
	X              string `json:"x"`
	Y              string `json:"y,omitempty"`
	Norm           string `json:"norm"`
	Ignore         string `json:"ignore"`
	DirType        string `json:"dir_type"`
	Seed           int64  `json:"seed"`
	Dirs           string `json:"dirs,omitempty"`
	DirsSHA256     string `json:"dirs_sha256,omitempty"`
	Weights2       string `json:"weights2,omitempty"`
	Weights2SHA256 string `json:"weights2_sha256,omitempty"`
	Weights3       string `json:"weights3,omitempty"` // y = W3 − W: the plane through three solutions
	Weights3SHA256 string `json:"weights3_sha256,omitempty"`
	// Engine is the kind of engine that computed the points: "cpu" or "gpu", or "cpu+gpu" when
	// a GPU scan continued on the CPU (then either kind may resume it). Files written before
	// the key existed are "cpu" (no GPU scan existed then).
	Engine    string `json:"engine"`
	Precision string `json:"precision"`
	// Shard is "I/N" when the file holds only the points k with k mod N = I; "" for all.
	Shard string `json:"shard,omitempty"`
	// Hessian describes how `landscape hessian` computed an eigenvalue map (Lanczos settings);
	// "" for a loss scan.
	Hessian string `json:"hessian,omitempty"`
	// Tolerance, SampleSeed and SampleBatch describe a --tolerance scan (all 0 for an exact
	// one): each point's loss is estimated from the first images of the data shuffled with
	// SampleSeed, SampleBatch at a time, stopping once its standard error is at most Tolerance
	// times the estimate. Compared like the others: an exact file is never completed with
	// estimates, nor the reverse.
	Tolerance   float64 `json:"tolerance,omitempty"`
	SampleSeed  int64   `json:"sample_seed,omitempty"`
	SampleBatch int     `json:"sample_batch,omitempty"`
	// CPUKernel names the CPU micro-kernel family that computed the points on the CPU ("avx512",
	// "avx2", "neon", "portable", …; gemm.KernelName) and CPU the processor's model
	// (cpuinfo.Model: "Intel(R) Xeon(R) Processor", "Apple M2", "ARM Neoverse-V1"): informative
	// only (a file may be resumed, and shards merged, across machines), never compared.
	CPUKernel string `json:"cpu_kernel,omitempty"`
	CPU       string `json:"cpu,omitempty"`
}

// pathFields are informative only: the hashes decide. The format is not compared either: Load
// converts every format it reads to the same Surface.
var pathFields = map[string]bool{"Weights": true, "Dirs": true, "Weights2": true, "Weights3": true, "Data": true, "Format": true,
	"CPUKernel": true, "CPU": true}

// Diff lists the settings that differ, as "name: file value vs this run's value", leaving out
// the paths, the format and the settings named (by JSON key, e.g. "shard") in ignore.
func (s Settings) Diff(o Settings, ignore ...string) []string {
	var out []string
	a, b := reflect.ValueOf(s), reflect.ValueOf(o)
	for i := range a.NumField() {
		f := a.Type().Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if pathFields[f.Name] || slices.Contains(ignore, tag) {
			continue
		}
		if va, vb := a.Field(i).Interface(), b.Field(i).Interface(); va != vb {
			out = append(out, fmt.Sprintf("%s: %v in the file, %v now", tag, va, vb))
		}
	}
	return out
}

// EngineKinds returns the engine kinds of e ("cpu+gpu" → cpu, gpu).
func EngineKinds(e string) []string { return strings.Split(e, "+") }

// MixEngines returns the engine value of a file computed by the kinds of a and of b.
func MixEngines(a, b string) string {
	ks := append(EngineKinds(a), EngineKinds(b)...)
	slices.Sort(ks)
	return strings.Join(slices.Compact(ks), "+")
}

// CheckResume says whether points computed with the file's settings s may be completed by a
// run with settings now: the numerics version must be equal, the engine kind one of the file's,
// and every other setting equal, but the paths and those named in ignore (JSON keys, e.g.
// "engine" before the engines are chosen, or "shard"). The error lists every difference.
func (s Settings) CheckResume(path string, now Settings, ignore ...string) error {
	var why []string
	if s.Numerics != now.Numerics && !slices.Contains(ignore, "numerics") {
		why = append(why, fmt.Sprintf("numerics: its points were computed by numerics version %d, this landscape computes version %d (the values would differ)", s.Numerics, now.Numerics))
	}
	if !slices.Contains(EngineKinds(s.Engine), now.Engine) && !slices.Contains(ignore, "engine") {
		why = append(why, fmt.Sprintf("engine: its points were computed on %s, this run computes on %s (choose the device with --device)", s.Engine, now.Engine))
	}
	for _, d := range s.Diff(now, append(ignore, "numerics", "engine")...) {
		why = append(why, d)
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%s holds a scan with other settings:\n  %s\nchoose another --out, or delete the file to start over", path, strings.Join(why, "\n  "))
}
