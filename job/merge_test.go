package job

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"landscape/surface"
)

// wholeSurface is a complete 5x4 (non-square) scan with distinct values, a diverged (NaN) point
// and an infinite loss, standing in for an unsharded run.
func wholeSurface(t *testing.T) *surface.Surface {
	t.Helper()
	st := surface.Settings{Format: surface.Format, Numerics: surface.Numerics, Engine: "cpu", Model: "resnet8", WeightsSHA256: "ab", DataSHA256: "cd", Split: "test", Examples: 16,
		X: "-1:1:5", Y: "-1:1:4", Norm: "filter", Ignore: "biasbn", DirType: "weights", Precision: "fp32"}
	s := surface.New(surface.Axis{Min: -1, Max: 1, Num: 5}, surface.Axis{Min: -1, Max: 1, Num: 4}, "test", st)
	r := rand.New(rand.NewPCG(5, 6))
	for k := range s.Len() {
		s.Set(k, 2+r.Float64(), 100*r.Float64())
	}
	s.Loss[7], s.Acc[7] = math.NaN(), 10
	s.Loss[13] = math.Inf(1)
	ev := s.ExtraArray("max_eig")
	for k := range ev {
		ev[k] = r.NormFloat64()
	}
	return s
}

// shardOf is what `scan --shard I/N` leaves: the shard's points computed, NaN elsewhere.
func shardOf(whole *surface.Surface, sh Shard) *surface.Surface {
	st := whole.Settings
	st.Shard = sh.String()
	s := &surface.Surface{X: whole.X, Y: whole.Y, Split: whole.Split, Settings: st}
	n := whole.Len()
	s.Loss, s.Acc, s.Computed = make([]float64, n), make([]float64, n), make([]bool, n)
	for k := range n {
		s.Loss[k], s.Acc[k] = math.NaN(), math.NaN()
		if sh.Has(k) {
			s.Set(k, whole.Loss[k], whole.Acc[k])
		}
	}
	for key, v := range whole.Extra {
		e := s.ExtraArray(key)
		for k := range n {
			if sh.Has(k) {
				e[k] = v[k]
			}
		}
	}
	return s
}

// sameSurface fails unless got has want's grid, settings and bit-identical values and mask.
func sameSurface(t *testing.T, got, want *surface.Surface) {
	t.Helper()
	if got.Settings != want.Settings || !slices.Equal(got.X, want.X) || !slices.Equal(got.Y, want.Y) || got.Split != want.Split {
		t.Fatalf("merged grid/settings differ:\n got %+v\nwant %+v", got.Settings, want.Settings)
	}
	if len(got.Extra) != len(want.Extra) {
		t.Errorf("extra arrays %d, want %d", len(got.Extra), len(want.Extra))
	}
	for key, w := range want.Extra {
		for k, v := range got.Extra[key] {
			if math.Float64bits(v) != math.Float64bits(w[k]) {
				t.Errorf("%s[%d] = %v, want %v", key, k, v, w[k])
			}
		}
	}
	for k := range want.Len() {
		if got.Computed[k] != want.Computed[k] ||
			math.Float64bits(got.Loss[k]) != math.Float64bits(want.Loss[k]) ||
			math.Float64bits(got.Acc[k]) != math.Float64bits(want.Acc[k]) {
			t.Errorf("point %d: got %v %v %v, want %v %v %v", k, got.Computed[k], got.Loss[k], got.Acc[k],
				want.Computed[k], want.Loss[k], want.Acc[k])
		}
	}
}

func TestMergeOfEveryShardIsTheWholeScan(t *testing.T) {
	whole := wholeSurface(t)
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 3, 4, 7, 20, 25} {
		var parts []Part
		for i := range n {
			parts = append(parts, Part{Name: fmt.Sprintf("s%d", i), S: shardOf(whole, Shard{I: i, N: n})})
		}
		r.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
		got, rep, err := Merge(parts)
		if err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		if !rep.Complete() || rep.Shards != n || rep.Rerun != nil || rep.Points != 20 || rep.Inputs != n {
			t.Errorf("N=%d: report %+v", n, rep)
		}
		sameSurface(t, got, whole)
	}
}

func TestMergeFilesWritesTheWholeScanAndKeepsTheShards(t *testing.T) {
	dir := t.TempDir()
	whole := wholeSurface(t)
	var paths []string
	for i := range 4 {
		p := ShardPath(filepath.Join(dir, "full.npz"), i)
		if err := shardOf(whole, Shard{I: i, N: 4}).Save(p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	shard2, _ := os.ReadFile(paths[2])
	out := filepath.Join(dir, "full.npz")
	_, rep, err := MergeFiles(out, paths)
	if err != nil || !rep.Complete() {
		t.Fatalf("MergeFiles: %+v %v", rep, err)
	}
	got, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	sameSurface(t, got, whole)
	if after, _ := os.ReadFile(paths[2]); !bytes.Equal(after, shard2) {
		t.Error("merging changed a shard file")
	}
	// The whole scan's own file and the merged one are the same bytes.
	wp := filepath.Join(dir, "unsharded.npz")
	if err := whole.Save(wp); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(wp)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Error("the merged file differs from the unsharded scan's file")
	}
	// Merging again (out now exists and is merged with the inputs) changes nothing.
	if _, rep, err := MergeFiles(out, paths); err != nil || !rep.Complete() || rep.Inputs != 5 {
		t.Fatalf("merging again: %+v %v", rep, err)
	}
	if c, _ := os.ReadFile(out); !bytes.Equal(c, b) {
		t.Error("merging again changed the merged file")
	}
}

func TestMergeListsMissingPointsAndShardsToRerun(t *testing.T) {
	dir := t.TempDir()
	whole := wholeSurface(t)
	out := filepath.Join(dir, "full.npz")
	save := func(i int) string {
		p := ShardPath(out, i)
		if err := shardOf(whole, Shard{I: i, N: 4}).Save(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, rep, err := MergeFiles(out, []string{save(0), save(2)})
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for k := range whole.Len() {
		if k%4 == 1 || k%4 == 3 {
			want = append(want, k)
		}
	}
	if !slices.Equal(rep.Missing, want) || !slices.Equal(rep.Rerun, []int{1, 3}) || rep.Complete() {
		t.Fatalf("missing %v rerun %v; want %v and [1 3]", rep.Missing, rep.Rerun, want)
	}
	partial, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m := partial.Missing(); !slices.Equal(m, want) || partial.Settings.Shard != "" {
		t.Fatalf("the partial merged file misses %v (shard %q), want %v unsharded", m, partial.Settings.Shard, want)
	}
	// After re-running shards 1 and 3, merging them into the partial file completes it.
	_, rep, err = MergeFiles(out, []string{save(1), save(3)})
	if err != nil || !rep.Complete() {
		t.Fatalf("completing: %+v %v", rep, err)
	}
	got, _ := surface.Load(out)
	sameSurface(t, got, whole)
}

func TestMergeRefusesOtherSettings(t *testing.T) {
	whole := wholeSurface(t)
	other := shardOf(whole, Shard{I: 1, N: 2})
	other.Settings.Seed = 9
	_, _, err := Merge([]Part{{"a.npz", shardOf(whole, Shard{I: 0, N: 2})}, {"b.npz", other}})
	if err == nil || !strings.Contains(err.Error(), "seed: 0 in a.npz, 9 now") || !strings.Contains(err.Error(), "b.npz") {
		t.Fatalf("want a settings error naming seed and both files, got %v", err)
	}
	// Other axes (and so other grids) are settings too.
	third := shardOf(whole, Shard{I: 1, N: 2})
	third.Settings.Y = "-1:1:5"
	if _, _, err := Merge([]Part{{"a.npz", whole}, {"c.npz", third}}); err == nil || !strings.Contains(err.Error(), "y: -1:1:4") {
		t.Fatalf("want a settings error naming y, got %v", err)
	}
	// Shards of two different splits.
	if _, _, err := Merge([]Part{{"a.npz", shardOf(whole, Shard{I: 0, N: 2})}, {"d.npz", shardOf(whole, Shard{I: 1, N: 3})}}); err == nil ||
		!strings.Contains(err.Error(), "d.npz is shard 1/3 but a.npz is shard 0/2") {
		t.Fatalf("want a one-split error, got %v", err)
	}
	// Numerics versions never mix.
	fourth := shardOf(whole, Shard{I: 1, N: 2})
	fourth.Settings.Numerics++
	if _, _, err := Merge([]Part{{"a.npz", shardOf(whole, Shard{I: 0, N: 2})}, {"e.npz", fourth}}); err == nil || !strings.Contains(err.Error(), "numerics") {
		t.Fatalf("want a numerics error, got %v", err)
	}
	if _, _, err := Merge(nil); err == nil {
		t.Fatal("merging nothing succeeded")
	}
}

func TestMergeRefusesTwoValuesForOnePoint(t *testing.T) {
	whole := wholeSurface(t)
	a, b := shardOf(whole, Shard{I: 0, N: 2}), shardOf(whole, Shard{I: 1, N: 2})
	// An unsharded partial file that agrees where it overlaps is fine (the diverged point included).
	c := shardOf(whole, Shard{})
	for k := 10; k < 20; k++ {
		c.Computed[k], c.Loss[k], c.Acc[k] = false, math.NaN(), math.NaN()
	}
	if _, rep, err := Merge([]Part{{"a", a}, {"b", b}, {"c", c}}); err != nil || !rep.Complete() {
		t.Fatalf("agreeing overlap: %+v %v", rep, err)
	}
	c.Loss[4] = math.Nextafter(c.Loss[4], 10)
	_, _, err := Merge([]Part{{"a.npz", a}, {"b.npz", b}, {"c.npz", c}})
	x, y := whole.Coord(4)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("point 4 (x=%g, y=%g)", x, y)) || !strings.Contains(err.Error(), "in a.npz") ||
		!strings.Contains(err.Error(), "in c.npz") {
		t.Fatalf("want an error naming point 4 and both files, got %v", err)
	}
	c.Loss[4] = whole.Loss[4]
	c.Extra["max_eig"][3] += 1e-9
	if _, _, err := Merge([]Part{{"b.npz", b}, {"c.npz", c}}); err == nil || !strings.Contains(err.Error(), "point 3") || !strings.Contains(err.Error(), "max_eig") {
		t.Fatalf("want an error for point 3's max_eig, got %v", err)
	}
	c.Extra["max_eig"][3] = whole.Extra["max_eig"][3]
	c.Acc[7] = 11 // the diverged point: same NaN loss, another accuracy
	if _, _, err := Merge([]Part{{"b.npz", b}, {"c.npz", c}}); err == nil || !strings.Contains(err.Error(), "point 7") {
		t.Fatalf("want an error for point 7's accuracy, got %v", err)
	}
}

func TestMergeFilesNeverOverwritesAnotherScan(t *testing.T) {
	dir := t.TempDir()
	whole := wholeSurface(t)
	s0 := ShardPath(filepath.Join(dir, "f.npz"), 0)
	if err := shardOf(whole, Shard{I: 0, N: 2}).Save(s0); err != nil {
		t.Fatal(err)
	}
	other := wholeSurface(t)
	other.Settings.Norm = "layer"
	out := filepath.Join(dir, "f.npz")
	if err := other.Save(out); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	if _, _, err := MergeFiles(out, []string{s0}); err == nil || !strings.Contains(err.Error(), "norm") {
		t.Fatalf("want a settings error, got %v", err)
	}
	if _, _, err := MergeFiles(s0, []string{s0}); err == nil || !strings.Contains(err.Error(), "file of shard 0/2") {
		t.Fatalf("merging into a shard file: %v", err)
	}
	junk := filepath.Join(dir, "junk.npz")
	os.WriteFile(junk, []byte("not a zip"), 0o644)
	if _, _, err := MergeFiles(junk, []string{s0}); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Fatalf("merging into a non-surface file: %v", err)
	}
	if _, _, err := MergeFiles(filepath.Join(dir, "g.npz"), []string{s0, filepath.Join(dir, "absent.npz")}); err == nil ||
		!strings.Contains(err.Error(), "absent.npz") {
		t.Fatalf("a missing input: %v", err)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
		t.Error("a refused merge changed the existing file")
	}
	if j, _ := os.ReadFile(junk); string(j) != "not a zip" {
		t.Error("a refused merge changed the non-surface file")
	}
}

// Shards computed on different engine kinds merge, and the merged file says so (as a resumed
// file that continued on the CPU does).
func TestMergeRecordsEveryEngineKind(t *testing.T) {
	whole := wholeSurface(t)
	a, b := shardOf(whole, Shard{I: 0, N: 2}), shardOf(whole, Shard{I: 1, N: 2})
	a.Settings.Engine, b.Settings.Engine = "gpu", "cpu+gpu"
	got, _, err := Merge([]Part{{"a", a}, {"b", b}})
	if err != nil || got.Settings.Engine != "cpu+gpu" {
		t.Fatalf("engine %q, %v", got.Settings.Engine, err)
	}
	b.Settings.Engine = "gpu"
	if got, _, err := Merge([]Part{{"a", a}, {"b", b}}); err != nil || got.Settings.Engine != "gpu" {
		t.Fatalf("engine %q, %v", got.Settings.Engine, err)
	}
}
