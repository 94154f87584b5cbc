package job

import (
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseShard(t *testing.T) {
	ok := []struct {
		spec   string
		shards int
		env    func(string) string
		want   Shard
	}{
		{"", 0, env(), Shard{}},
		{"0/1", 0, env(), Shard{0, 1}},
		{"3/4", 0, env(), Shard{3, 4}},
		{"3/4", 4, env(), Shard{3, 4}},
		{"auto", 4, env(EnvSlurmTask, "2"), Shard{2, 4}},
		{"auto", 0, env(EnvSlurmTask, "2", EnvSlurmCount, "3"), Shard{2, 3}},
		{"auto", 5, env(EnvSlurmTask, "2", EnvSlurmCount, "3"), Shard{2, 5}}, // --shards wins
		{"auto", 6, env(EnvKubeIndex, "5"), Shard{5, 6}},
		{"auto", 6, env(EnvSlurmTask, "1", EnvKubeIndex, "5"), Shard{1, 6}}, // Slurm first
	}
	for _, c := range ok {
		got, err := ParseShard(c.spec, c.shards, c.env)
		if err != nil || got != c.want {
			t.Errorf("ParseShard(%q, %d) = %v, %v; want %v", c.spec, c.shards, got, err, c.want)
		}
	}
	bad := []struct {
		spec   string
		shards int
		env    func(string) string
		msg    string
	}{
		{"4/4", 0, env(), "0 ≤ I < N"},
		{"-1/4", 0, env(), "0 ≤ I < N"},
		{"1/0", 0, env(), "0 ≤ I < N"},
		{"1", 0, env(), "want I/N"},
		{"a/b", 0, env(), "want I/N"},
		{"1/4", 3, env(), "counts differ"},
		{"", 4, env(), "without --shard"},
		{"", -1, env(), "--shards -1"},
		{"auto", 4, env(), "neither SLURM_ARRAY_TASK_ID"},
		{"auto", 0, env(EnvKubeIndex, "1"), "--shards N"},
		{"auto", 0, env(EnvSlurmTask, "1"), "--shards N"},
		{"auto", 4, env(EnvSlurmTask, "4"), "SLURM_ARRAY_TASK_ID=4 is not below the 4 shards"},
		{"auto", 0, env(EnvSlurmTask, "3", EnvSlurmCount, "3"), "--array=0-2"},
		{"auto", 4, env(EnvSlurmTask, "x"), `SLURM_ARRAY_TASK_ID="x"`},
		{"auto", 0, env(EnvSlurmTask, "0", EnvSlurmCount, "0"), "SLURM_ARRAY_TASK_COUNT"},
	}
	for _, c := range bad {
		got, err := ParseShard(c.spec, c.shards, c.env)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseShard(%q, %d) = %v, %v; want an error with %q", c.spec, c.shards, got, err, c.msg)
		}
	}
}

// Every point belongs to exactly one of the N shards, and shard I holds I, I+N, I+2N, ….
func TestShardsPartitionThePoints(t *testing.T) {
	const points = 23
	all := make([]int, points)
	for k := range all {
		all[k] = k
	}
	for _, n := range []int{1, 2, 4, 7, 23, 30} {
		owner := make([]int, points)
		for i := range n {
			s := Shard{I: i, N: n}
			got := s.Filter(all)
			for idx, k := range got {
				if k != i+idx*n {
					t.Fatalf("shard %v: point %d at position %d, want %d", s, k, idx, i+idx*n)
				}
				owner[k]++
			}
		}
		for k, c := range owner {
			if c != 1 {
				t.Errorf("N=%d: point %d is in %d shards", n, k, c)
			}
		}
	}
	if got := (Shard{}).Filter(all); len(got) != points {
		t.Errorf("the whole scan has %d points, want %d", len(got), points)
	}
	if got := (Shard{I: 1, N: 3}).Filter([]int{0, 4, 5, 7, 9}); len(got) != 2 || got[0] != 4 || got[1] != 7 {
		t.Errorf("Filter of a resumed scan's missing points = %v, want [4 7]", got)
	}
}

func TestShardOutAndPaths(t *testing.T) {
	got, err := ShardOut("runs/r.shard-{shard}.npz", Shard{I: 3, N: 8})
	if err != nil || got != "runs/r.shard-3.npz" {
		t.Errorf("ShardOut = %q, %v", got, err)
	}
	if got, err := ShardOut("plain.npz", Shard{I: 3, N: 8}); err != nil || got != "plain.npz" {
		t.Errorf("ShardOut without placeholder = %q, %v", got, err)
	}
	if _, err := ShardOut("r-{shard}.npz", Shard{}); err == nil || !strings.Contains(err.Error(), "not split") {
		t.Errorf("{shard} without a shard: %v", err)
	}
	if p := ShardPath("/d/full.npz", 12); p != "/d/full.shard-12.npz" {
		t.Errorf("ShardPath = %q", p)
	}
	pat := ShardPattern("/d/full.npz")
	if p, _ := ShardOut(pat, Shard{I: 12, N: 13}); p != ShardPath("/d/full.npz", 12) {
		t.Errorf("ShardPattern %q gives %q", pat, p)
	}
	if s := (Shard{I: 2, N: 5}).String(); s != "2/5" {
		t.Errorf("String = %q", s)
	}
	if s := (Shard{}).String(); s != "" {
		t.Errorf("String of the whole scan = %q", s)
	}
}

func TestUseShard(t *testing.T) {
	spec := ScanSpec{Out: "r.shard-{shard}.npz"}
	if err := spec.UseShard("auto", 0, env(EnvSlurmTask, "1", EnvSlurmCount, "3")); err != nil {
		t.Fatal(err)
	}
	if spec.Out != "r.shard-1.npz" || spec.Shard != "1/3" || spec.Select == nil || !spec.Select(4) || spec.Select(5) {
		t.Errorf("spec after UseShard: out %q shard %q", spec.Out, spec.Shard)
	}
	whole := ScanSpec{Out: "r.npz"}
	if err := whole.UseShard("", 0, env()); err != nil || whole.Select != nil || whole.Shard != "" || whole.Out != "r.npz" {
		t.Errorf("no shard: %v %q %q", err, whole.Shard, whole.Out)
	}
	bad := ScanSpec{Out: "r-{shard}.npz"}
	if err := bad.UseShard("", 0, env()); err == nil {
		t.Error("{shard} without --shard accepted")
	}
}

// Filter returns the points of ks that belong to the shard, in their order.
func (s Shard) Filter(ks []int) []int {
	if !s.IsSet() {
		return ks
	}
	out := make([]int, 0, len(ks)/s.N+1)
	for _, k := range ks {
		if s.Has(k) {
			out = append(out, k)
		}
	}
	return out
}
