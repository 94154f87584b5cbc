package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"landscape/surface"
)

// equalSurfaces fails unless got has want's values and computed mask, bit for bit.
func equalSurfaces(t *testing.T, got, want *surface.Surface) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%d points, want %d", got.Len(), want.Len())
	}
	for k := range want.Len() {
		if got.Computed[k] != want.Computed[k] || math.Float64bits(got.Loss[k]) != math.Float64bits(want.Loss[k]) ||
			math.Float64bits(got.Acc[k]) != math.Float64bits(want.Acc[k]) {
			t.Errorf("point %d: %v %v %v, want %v %v %v", k, got.Computed[k], got.Loss[k], got.Acc[k], want.Computed[k], want.Loss[k], want.Acc[k])
		}
	}
}

// A 5x4 scan split with --shard I/4 (every I) and merged equals the unsharded scan, values and
// computed mask bit for bit; each shard file holds exactly its points and resumes as itself.
func TestShardedScanMergesToTheUnshardedOne(t *testing.T) {
	dir, args := smallScan(t)
	whole := filepath.Join(dir, "whole.npz")
	mustRun(t, append(args, "--out", whole)...)
	want, err := surface.Load(whole)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Missing()) != 0 {
		t.Fatal("the unsharded scan is incomplete")
	}
	pattern := filepath.Join(dir, "s.shard-{shard}.npz")
	var shards []string
	for i := range 4 {
		mustRun(t, append(args, "--out", pattern, "--shard", fmt.Sprintf("%d/4", i))...)
		p := filepath.Join(dir, fmt.Sprintf("s.shard-%d.npz", i))
		s, err := surface.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Settings.Shard != fmt.Sprintf("%d/4", i) {
			t.Errorf("%s: settings shard %q", p, s.Settings.Shard)
		}
		for k := range s.Len() {
			if s.Computed[k] != (k%4 == i) || s.Computed[k] == math.IsNaN(s.Loss[k]) {
				t.Errorf("%s: point %d computed %v, loss %v", p, k, s.Computed[k], s.Loss[k])
			}
		}
		shards = append(shards, p)
	}
	// Resuming a finished shard computes nothing and changes nothing.
	before, _ := os.ReadFile(shards[1])
	if out := mustRun(t, append(args, "--out", pattern, "--shard", "1/4")...); !strings.Contains(out, "already computed") {
		t.Errorf("resuming shard 1: %s", out)
	}
	if after, _ := os.ReadFile(shards[1]); string(after) != string(before) {
		t.Error("resuming a finished shard changed its file")
	}
	// Another shard never resumes this shard's file.
	if _, e, code := run(t, append(args, "--out", shards[1], "--shard", "2/4")...); code == 0 || !strings.Contains(e, "shard: 1/4 in the file, 2/4 now") {
		t.Errorf("shard 2 into shard 1's file: exit %d: %s", code, e)
	}
	full := filepath.Join(dir, "full.npz")
	mustRun(t, append([]string{"merge", "--out", full}, shards...)...)
	got, err := surface.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	equalSurfaces(t, got, want)
	if d := got.Settings.Diff(want.Settings); len(d) > 0 {
		t.Errorf("merged settings differ: %v", d)
	}
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(whole)
	if string(a) != string(b) {
		t.Error("the merged file is not byte for byte the unsharded scan's file")
	}
}

// --shard auto takes I from SLURM_ARRAY_TASK_ID (or JOB_COMPLETION_INDEX) and N from --shards or
// SLURM_ARRAY_TASK_COUNT.
func TestShardAutoFromTheEnvironment(t *testing.T) {
	dir, args := smallScan(t)
	for _, c := range []struct {
		env   []string
		extra []string
		want  string
	}{
		{[]string{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=5"}, nil, "3/5"},
		{[]string{"JOB_COMPLETION_INDEX=2"}, []string{"--shards", "3"}, "2/3"},
	} {
		cmd := exec.Command(bin, append(append(args, "--out", filepath.Join(dir, "a-{shard}.npz"), "--shard", "auto"), c.extra...)...)
		cmd.Env = append(os.Environ(), c.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c.env, err, out)
		}
		s, err := surface.Load(filepath.Join(dir, "a-"+c.want[:1]+".npz"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Settings.Shard != c.want {
			t.Errorf("%v: shard %q, want %s", c.env, s.Settings.Shard, c.want)
		}
	}
	cmd := exec.Command(bin, append(args, "--out", filepath.Join(dir, "b.npz"), "--shard", "auto")...)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=", "JOB_COMPLETION_INDEX=")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "neither SLURM_ARRAY_TASK_ID") {
		t.Errorf("--shard auto outside an array: %v %s", err, out)
	}
}

// merge refuses shards of different settings, and lists the missing points and shards to re-run.
func TestMergeCommandRefusesAndReports(t *testing.T) {
	dir, args := smallScan(t)
	a, b := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz")
	mustRun(t, append(args, "--out", a, "--shard", "0/4")...)
	mustRun(t, append(args, "--out", b, "--shard", "1/4", "--seed", "1")...)
	_, e, code := run(t, "merge", "--out", filepath.Join(dir, "m.npz"), a, b)
	if code != 1 || !strings.Contains(e, "seed: 0 in "+a+", 1 now") {
		t.Errorf("merging shards of different seeds: exit %d: %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.npz")); err == nil {
		t.Error("a refused merge wrote its output")
	}
	c := filepath.Join(dir, "c.npz")
	mustRun(t, append(args, "--out", c, "--shard", "2/4")...)
	m := filepath.Join(dir, "m.npz")
	_, e, code = run(t, "merge", "--out", m, a, c)
	if code != 1 || !strings.Contains(e, "10 of 20 points computed") || !strings.Contains(e, "re-run shards 1, 3 of 4") ||
		!strings.Contains(e, "missing points: 1 (") || !strings.Contains(e, "10 points still missing") {
		t.Errorf("merging half the shards: exit %d: %s", code, e)
	}
	// The partial merge is an ordinary file: the unsharded scan completes it.
	mustRun(t, append(args, "--out", m)...)
	whole := filepath.Join(dir, "whole.npz")
	mustRun(t, append(args, "--out", whole)...)
	got, _ := surface.Load(m)
	want, _ := surface.Load(whole)
	equalSurfaces(t, got, want)
}
