package job

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is part I of a scan split N ways: the grid points k with k mod N = I, k counting the
// points in the surface file's row-major order (k = j·nx + i for 2D, k = i for 1D). The zero
// Shard is the whole scan.
type Shard struct{ I, N int }

// ShardPlaceholder in a scan's --out is replaced by the shard index I.
const ShardPlaceholder = "{shard}"

// Environment variables that --shard auto reads: the task index of a Slurm job array (numbered
// from 0) or of a Kubernetes Indexed Job, and the Slurm array's task count.
const (
	EnvSlurmTask   = "SLURM_ARRAY_TASK_ID"
	EnvSlurmCount  = "SLURM_ARRAY_TASK_COUNT"
	EnvKubeIndex   = "JOB_COMPLETION_INDEX"
	shardSpecUsage = "want I/N with 0 ≤ I < N (e.g. 0/4), or auto"
)

// IsSet reports whether the scan is split.
func (s Shard) IsSet() bool { return s.N > 0 }

// String is "I/N" as ParseShard reads it; "" for the whole scan (the surface settings' form).
func (s Shard) String() string {
	if !s.IsSet() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Has reports whether point k belongs to the shard.
func (s Shard) Has(k int) bool { return !s.IsSet() || k%s.N == s.I }

// ParseShard reads the --shard flag: "" (no split), "I/N", or "auto", which takes I from
// SLURM_ARRAY_TASK_ID or else JOB_COMPLETION_INDEX and N from shards (--shards) or else
// SLURM_ARRAY_TASK_COUNT. With "I/N", shards must be 0 or N. getenv is os.Getenv in use.
func ParseShard(spec string, shards int, getenv func(string) string) (Shard, error) {
	if shards < 0 {
		return Shard{}, fmt.Errorf("--shards %d: want a positive number of shards", shards)
	}
	switch spec {
	case "":
		if shards > 0 {
			return Shard{}, fmt.Errorf("--shards %d without --shard: give --shard auto (or I/N) to split the scan", shards)
		}
		return Shard{}, nil
	case "auto":
		return autoShard(shards, getenv)
	}
	is, ns, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %q: %s", spec, shardSpecUsage)
	}
	if shards > 0 && shards != n {
		return Shard{}, fmt.Errorf("--shard %s with --shards %d: the shard counts differ", spec, shards)
	}
	return Shard{I: i, N: n}, nil
}

func autoShard(shards int, getenv func(string) string) (Shard, error) {
	idxVar := EnvSlurmTask
	if getenv(idxVar) == "" {
		idxVar = EnvKubeIndex
	}
	iv := getenv(idxVar)
	if iv == "" {
		return Shard{}, fmt.Errorf("--shard auto: neither %s (a Slurm job array task) nor %s (a Kubernetes Indexed Job) is set; give --shard I/N",
			EnvSlurmTask, EnvKubeIndex)
	}
	i, err := strconv.Atoi(iv)
	if err != nil || i < 0 {
		return Shard{}, fmt.Errorf("--shard auto: %s=%q is not a task index ≥ 0", idxVar, iv)
	}
	n, nFrom := shards, "--shards"
	if n == 0 {
		nFrom = EnvSlurmCount
		cv := getenv(nFrom)
		if idxVar != EnvSlurmTask || cv == "" {
			return Shard{}, fmt.Errorf("--shard auto: give the number of shards with --shards N (%s is only set in Slurm job arrays)", EnvSlurmCount)
		}
		if n, err = strconv.Atoi(cv); err != nil || n < 1 {
			return Shard{}, fmt.Errorf("--shard auto: %s=%q is not a positive task count", EnvSlurmCount, cv)
		}
	}
	if i >= n {
		return Shard{}, fmt.Errorf("--shard auto: %s=%d is not below the %d shards (%s): number the tasks from 0, e.g. sbatch --array=0-%d",
			idxVar, i, n, nFrom, n-1)
	}
	return Shard{I: i, N: n}, nil
}

// ShardOut replaces {shard} in a scan's output path by the shard index; {shard} without a
// shard is an error. A path without {shard} is kept: the shard recorded in the file's settings
// keeps one shard from resuming another's file.
func ShardOut(out string, s Shard) (string, error) {
	if !strings.Contains(out, ShardPlaceholder) {
		return out, nil
	}
	if !s.IsSet() {
		return "", fmt.Errorf("--out %q holds %s but the scan is not split: give --shard I/N or --shard auto", out, ShardPlaceholder)
	}
	return strings.ReplaceAll(out, ShardPlaceholder, strconv.Itoa(s.I)), nil
}

// ShardPath is where shard i of a scan whose merged surface goes to out is kept:
// FILE.npz → FILE.shard-I.npz.
func ShardPath(out string, i int) string {
	return shardStem(out) + ".shard-" + strconv.Itoa(i) + ".npz"
}

// ShardPattern is ShardPath with {shard} for the index, for `scan --shard auto`.
func ShardPattern(out string) string { return shardStem(out) + ".shard-" + ShardPlaceholder + ".npz" }

func shardStem(out string) string { return strings.TrimSuffix(out, ".npz") }

// UseShard makes the scan compute the shard that shard (--shard) and shards (--shards) name, as
// ParseShard reads them: Select keeps the shard's points, Shard records "I/N" in the file's
// settings, and {shard} in Out becomes I.
func (s *ScanSpec) UseShard(shard string, shards int, getenv func(string) string) error {
	sh, err := ParseShard(shard, shards, getenv)
	if err != nil {
		return err
	}
	if s.Out, err = ShardOut(s.Out, sh); err != nil {
		return err
	}
	if sh.IsSet() {
		s.Select, s.Shard = sh.Has, sh.String()
	}
	return nil
}
