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
// be equal except for the shard (input files compared by hash, as resuming does), and a point
// computed by several inputs must have the same loss and accuracy in each (NaN equal to NaN):
// the merge never chooses between two results. Each point's values are copied unchanged, so a
// complete set of shards gives exactly the values of the unsharded scan with the same engine and
// batch size.
func Merge(parts []Part) (*surface.Surface, MergeReport, error) {
	if len(parts) == 0 {
		return nil, MergeReport{}, fmt.Errorf("merge: no surface files given")
	}
	ref := parts[0]
	settings := ref.S.Settings
	settings.Shard = ""
	n, firstShard := 0, Part{}
	for _, p := range parts {
		if err := checkPart(p, ref); err != nil {
			return nil, MergeReport{}, err
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
	out := &surface.Surface{X: ref.S.X, Y: ref.S.Y, Split: ref.S.Split, Settings: settings}
	np := ref.S.Len()
	out.Loss, out.Acc, out.Computed = make([]float64, np), make([]float64, np), make([]bool, np)
	from := make([]string, np) // which input gave each point
	for k := range np {
		out.Loss[k], out.Acc[k] = math.NaN(), math.NaN()
		for _, p := range parts {
			if !p.S.Computed[k] {
				continue
			}
			l, a := p.S.Loss[k], p.S.Acc[k]
			if !out.Computed[k] {
				out.Set(k, l, a)
				from[k] = p.Name
				continue
			}
			if !sameValue(out.Loss[k], l) || !sameValue(out.Acc[k], a) {
				x, y := out.Coord(k)
				return nil, MergeReport{}, fmt.Errorf("point %d (x=%g, y=%g) has two results: loss %v, accuracy %v%% in %s and loss %v, accuracy %v%% in %s; not merging (were they computed by another engine or batch size?)",
					k, x, y, out.Loss[k], out.Acc[k], from[k], l, a, p.Name)
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

// checkPart refuses a part whose scan differs from ref's in anything but the shard.
func checkPart(p, ref Part) error {
	a, b := ref.S.Settings, p.S.Settings
	a.Shard, b.Shard = "", ""
	if d := a.Diff(b); len(d) > 0 {
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
		if err != nil {
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
