package job

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"landscape/surface"
)

// MergeReport says what a merge found.
type MergeReport struct {
	Inputs  int   // surfaces merged (an existing output included)
	Points  int   // grid points
	Missing []int // points no input has computed, in k order
	Shards  int   // N of the shards merged; 0 when no input was a shard
	Rerun   []int // the shard indices I holding missing points (k mod N), ascending
}

// Complete reports whether every point is computed.
func (r MergeReport) Complete() bool { return len(r.Missing) == 0 }

// Part is one surface to merge and the name its errors use (its path).
type Part struct {
	Name string
	S    *surface.Surface
}

// Merge combines the computed points of surfaces of one scan — shard files of one split, and
// unsharded (partial) files of the same scan — into one unsharded surface. Their settings must
// be equal except for the shard and the engine kind (input files compared by hash, as resuming
// does; a shard that continued on the CPU after a GPU failed is "cpu+gpu", and the merged file
// records every kind, as a resumed file does), and a point computed by several inputs must
// have the same loss, accuracy and extra values in each (NaN equal to NaN): the merge never
// chooses between two results. Each point's values are copied unchanged, so a complete set of
// shards gives exactly the values of the unsharded scan with the same engine and batch size.
func Merge(parts []Part) (*surface.Surface, MergeReport, error) {
	if len(parts) == 0 {
		return nil, MergeReport{}, fmt.Errorf("merge: no surface files given")
	}
	ref := parts[0]
	settings := ref.S.Settings
	settings.Shard = ""
	n, firstShard := 0, Part{}
	var extras []string
	for _, p := range parts {
		if err := checkPart(p, ref); err != nil {
			return nil, MergeReport{}, err
		}
		settings.Engine = surface.MixEngines(settings.Engine, p.S.Settings.Engine)
		for key := range p.S.Extra {
			if !slices.Contains(extras, key) {
				extras = append(extras, key)
			}
		}
		if p.S.Settings.Shard == "" {
			continue
		}
		sh, err := ParseShard(p.S.Settings.Shard, 0, func(string) string { return "" })
		if err != nil {
			return nil, MergeReport{}, fmt.Errorf("%s: settings: shard %q is not I/N", p.Name, p.S.Settings.Shard)
		}
		if n != 0 && sh.N != n {
			return nil, MergeReport{}, fmt.Errorf("%s is shard %s but %s is shard %s: merge the shards of one split (one N)",
				p.Name, p.S.Settings.Shard, firstShard.Name, firstShard.S.Settings.Shard)
		}
		if n == 0 {
			n, firstShard = sh.N, p
		}
	}
	slices.Sort(extras)
	x, y := ref.S.X, ref.S.Y
	out := &surface.Surface{X: x, Y: y, Split: ref.S.Split, Settings: settings, Extra: map[string][]float64{}}
	np := ref.S.Len()
	out.Loss, out.Acc, out.Computed = nans(np), nans(np), make([]bool, np)
	for _, key := range extras {
		out.Extra[key] = nans(np)
	}
	from := make([]string, np) // which input gave each point
	for k := range np {
		for _, p := range parts {
			if !p.S.Computed[k] {
				continue
			}
			if !out.Computed[k] {
				out.Set(k, p.S.Loss[k], p.S.Acc[k])
				for _, key := range extras {
					out.Extra[key][k] = extraAt(p.S, key, k)
				}
				from[k] = p.Name
				continue
			}
			if err := samePoint(out, p, k, extras, from[k]); err != nil {
				return nil, MergeReport{}, err
			}
		}
	}
	rep := MergeReport{Inputs: len(parts), Points: np, Missing: out.Missing(), Shards: n}
	if n > 0 {
		for _, k := range rep.Missing {
			if i := k % n; !slices.Contains(rep.Rerun, i) {
				rep.Rerun = append(rep.Rerun, i)
			}
		}
		slices.Sort(rep.Rerun)
	}
	return out, rep, nil
}

func nans(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// extraAt is point k of s's extra array key, NaN when s has no such array.
func extraAt(s *surface.Surface, key string, k int) float64 {
	if a := s.Extra[key]; a != nil {
		return a[k]
	}
	return math.NaN()
}

// samePoint refuses part p's results at point k unless they equal those merged from the input
// named first.
func samePoint(out *surface.Surface, p Part, k int, extras []string, first string) error {
	type val struct {
		name string
		a, b float64
	}
	vals := []val{{"loss", out.Loss[k], p.S.Loss[k]}, {"accuracy", out.Acc[k], p.S.Acc[k]}}
	for _, key := range extras {
		vals = append(vals, val{key, out.Extra[key][k], extraAt(p.S, key, k)})
	}
	for _, v := range vals {
		if !sameValue(v.a, v.b) {
			x, y := out.Coord(k)
			return fmt.Errorf("point %d (x=%g, y=%g) has two results: %s %v in %s and %v in %s; not merging (were they computed by another engine or batch size?)",
				k, x, y, v.name, v.a, first, v.b, p.Name)
		}
	}
	return nil
}

// checkPart refuses a part whose scan differs from ref's in anything but the shard and engine.
func checkPart(p, ref Part) error {
	if d := ref.S.Settings.Diff(p.S.Settings, "shard", "engine"); len(d) > 0 {
		return fmt.Errorf("%s and %s are not parts of one scan; their settings differ:\n  %s",
			ref.Name, p.Name, strings.ReplaceAll(strings.Join(d, "\n  "), "in the file, ", "in "+ref.Name+", "))
	}
	if p.S.Split != ref.S.Split || !slices.Equal(p.S.X, ref.S.X) || !slices.Equal(p.S.Y, ref.S.Y) {
		return fmt.Errorf("%s and %s have different grids (split %s/%s, %d/%d x and %d/%d y coordinates)",
			ref.Name, p.Name, ref.S.Split, p.S.Split, len(ref.S.X), len(p.S.X), len(ref.S.Y), len(p.S.Y))
	}
	return nil
}

// sameValue is float equality with NaN equal to NaN (a diverged point is NaN in every shard).
func sameValue(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// MergeFiles merges the surface files into out and writes it atomically. An existing out is
// merged too (its points are kept, and must agree with the inputs), so merging again after
// re-running missing shards completes the file; an out that is not an unsharded surface of the
// same scan is refused, never overwritten. The merged file is written even when points are
// missing: it is an ordinary surface file that `scan` resumes.
func MergeFiles(out string, paths []string) (*surface.Surface, MergeReport, error) {
	if !strings.HasSuffix(out, ".npz") {
		return nil, MergeReport{}, fmt.Errorf("--out %q: want a file name ending in .npz", out)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, MergeReport{}, err
	}
	var parts []Part
	seen := map[string]bool{}
	if _, err := os.Stat(out); err == nil {
		s, err := surface.Load(out)
		if surface.IsDamaged(err) {
			return nil, MergeReport{}, fmt.Errorf("--out %v; not overwriting it: move it aside (mv %s %s.damaged) and merge the intact shards again", err, out, out)
		} else if err != nil {
			return nil, MergeReport{}, fmt.Errorf("--out %s exists and is not a surface file (%v); not overwriting it", out, err)
		}
		if s.Settings.Shard != "" {
			return nil, MergeReport{}, fmt.Errorf("--out %s is the file of shard %s; not overwriting it: write the merge to another file", out, s.Settings.Shard)
		}
		parts = append(parts, Part{Name: out, S: s})
		seen[outAbs] = true
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, MergeReport{}, err
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		s, err := surface.Load(p)
		if err != nil {
			return nil, MergeReport{}, err
		}
		parts = append(parts, Part{Name: p, S: s})
	}
	merged, rep, err := Merge(parts)
	if err != nil {
		return nil, rep, err
	}
	return merged, rep, merged.Save(out)
}
