package job

import (
	"testing"

	"landscape/internal/fuzzseed"
)

func shardSeeds() []fuzzseed.Seed {
	return []fuzzseed.Seed{
		fuzzseed.New("i-of-n", "1/4", 0, "", ""),
		fuzzseed.New("i-of-n-shards", "3/4", 4, "", ""),
		fuzzseed.New("auto-slurm", "auto", 0, "2", "5"),
		fuzzseed.New("auto-kube", "auto", 3, "", "1"),
		fuzzseed.New("i-not-below-n", "4/4", 0, "", ""),
		fuzzseed.New("huge", "9223372036854775807/9223372036854775808", 0, "", ""),
		fuzzseed.New("signs", "+1/-4", -1, "-1", "x"),
	}
}

func TestShardSeeds(t *testing.T) { fuzzseed.Sync(t, "FuzzShard", shardSeeds()) }

// FuzzShard: any --shard spec, --shards count and task environment (SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT from the first env string, JOB_COMPLETION_INDEX from the second).
// Property: no panic; an error, or a shard with 0 ≤ I < N (the zero shard: the whole scan)
// whose String parses back to it, whose points are exactly those with k mod N = I.
func FuzzShard(f *testing.F) {
	fuzzseed.Add(f, shardSeeds())
	f.Fuzz(func(t *testing.T, spec string, shards int, slurm, kube string) {
		env := map[string]string{EnvSlurmTask: slurm, EnvSlurmCount: slurm, EnvKubeIndex: kube}
		s, err := ParseShard(spec, shards, func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if s.IsSet() && (s.I < 0 || s.I >= s.N) || !s.IsSet() && s != (Shard{}) {
			t.Fatalf("%q: shard %+v", spec, s)
		}
		if back, err := ParseShard(s.String(), 0, nil); err != nil || back != s {
			t.Fatalf("%q → %+v → %q → %+v, %v", spec, s, s.String(), back, err)
		}
		in := 0
		for k := range 64 {
			if s.Has(k) {
				in++
				if s.IsSet() && k%s.N != s.I {
					t.Fatalf("%+v has point %d", s, k)
				}
			}
		}
		if len(s.Filter([]int{0, 1, 2, 3, 4, 5, 6, 7})) > 8 || in == 0 && s.I < 64 {
			t.Fatalf("%+v: %d of the first 64 points", s, in)
		}
	})
}
