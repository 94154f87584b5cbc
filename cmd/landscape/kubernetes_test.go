package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"landscape/job"
)

// manifestArgs returns the container args (a one-line JSON-style YAML list) and the completions
// of a Kubernetes Job manifest in docs/.
func manifestArgs(t *testing.T, path string) (args []string, completions int, indexed bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+args: (\[.*\])$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no args: [...] line", path)
	}
	if err := json.Unmarshal(m[1], &args); err != nil {
		t.Fatalf("%s: args: %v", path, err)
	}
	if c := regexp.MustCompile(`(?m)^  completions: (\d+)$`).FindSubmatch(b); c != nil {
		completions, _ = strconv.Atoi(string(c[1]))
	}
	indexed = regexp.MustCompile(`(?m)^  completionMode: Indexed$`).Match(b)
	return args, completions, indexed
}

// The Kubernetes manifests in docs/ are an Indexed Job whose pods run valid scan flags as shard
// JOB_COMPLETION_INDEX of as many shards as the Job has completions, and a merge Job of exactly
// those shard files.
func TestKubernetesManifestsRunTheShardsAndMergeThem(t *testing.T) {
	args, n, indexed := manifestArgs(t, "../../docs/kubernetes-scan.yaml")
	if !indexed || n < 2 {
		t.Fatalf("kubernetes-scan.yaml: completionMode Indexed %v, completions %d", indexed, n)
	}
	if args[0] != "scan" {
		t.Fatalf("kubernetes-scan.yaml runs %q, want scan", args[0])
	}
	sc := scanCmd()
	if err := sc.ParseFlags(args[1:]); err != nil {
		t.Fatalf("kubernetes-scan.yaml: %v", err)
	}
	if err := sc.ValidateRequiredFlags(); err != nil {
		t.Fatalf("kubernetes-scan.yaml: %v", err)
	}
	fl := sc.Flags()
	shard, _ := fl.GetString("shard")
	shards, _ := fl.GetInt("shards")
	sh, err := job.ParseShard(shard, shards, func(v string) string {
		if v == job.EnvKubeIndex {
			return strconv.Itoa(n - 1) // the last pod
		}
		return ""
	})
	if err != nil || sh != (job.Shard{I: n - 1, N: n}) {
		t.Fatalf("kubernetes-scan.yaml: the last pod runs shard %v (%v), want %d/%d", sh, err, n-1, n)
	}
	out, _ := fl.GetString("out")

	margs, _, _ := manifestArgs(t, "../../docs/kubernetes-merge.yaml")
	if len(margs) < 3 || margs[0] != "merge" || margs[1] != "--out" || job.ShardPattern(margs[2]) != out {
		t.Fatalf("kubernetes-merge.yaml args %q do not merge into the file whose shards are %s", margs, out)
	}
	var want []string
	for i := range n {
		want = append(want, job.ShardPath(margs[2], i))
	}
	if !slices.Equal(margs[3:], want) {
		t.Errorf("kubernetes-merge.yaml merges %q, want %q", margs[3:], want)
	}
}
