package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"landscape/surface"
)

// Without a cluster: `landscape slurm --submit` with a stand-in sbatch on PATH writes both
// scripts and submits them in order; running the array script once per task index (as Slurm
// would) and then the merge script gives the unsharded scan's surface, bit for bit.
func TestSlurmScriptsRunTheShardsAndMerge(t *testing.T) {
	dir, args := smallScan(t)
	fake := t.TempDir()
	calls := filepath.Join(fake, "calls")
	sbatch := "#!/bin/bash\necho \"$*\" >> " + calls + "\n[ -e " + calls + ".1 ] && echo 502 || { touch " + calls + ".1; echo '501;local'; }\n"
	if err := os.WriteFile(filepath.Join(fake, "sbatch"), []byte(sbatch), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs", "r.npz")
	os.Mkdir(filepath.Dir(out), 0o755)
	cmd := exec.Command(bin, append([]string{"slurm", "--shards", "3", "--cpus-per-task", "2", "--submit", "--"}, append(args[1:], "--out", out)...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"))
	o, err := cmd.Output()
	if err != nil {
		t.Fatalf("landscape slurm: %v\n%s", err, o)
	}
	if string(o) != "array job 501\nmerge job 502\n" {
		t.Errorf("stdout %q", o)
	}
	arrayScript, mergeScript := filepath.Join(dir, "runs", "r.sbatch"), filepath.Join(dir, "runs", "r.merge.sbatch")
	c, _ := os.ReadFile(calls)
	if want := "--parsable " + arrayScript + "\n--parsable --dependency=afterok:501 --kill-on-invalid-dep=yes " + mergeScript + "\n"; string(c) != want {
		t.Errorf("sbatch calls\n%s\nwant\n%s", c, want)
	}
	text, err := os.ReadFile(arrayScript)
	if err != nil || !strings.Contains(string(text), "#SBATCH --array=0-2\n") || !strings.Contains(string(text), "#SBATCH --cpus-per-task=2\n") {
		t.Fatalf("array script: %v\n%s", err, text)
	}
	for i := range 3 {
		task := exec.Command("bash", arrayScript)
		task.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i), "SLURM_ARRAY_TASK_COUNT=3")
		if o, err := task.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", i, err, o)
		}
	}
	if o, err := exec.Command("bash", mergeScript).CombinedOutput(); err != nil {
		t.Fatalf("merge job: %v\n%s", err, o)
	}
	whole := filepath.Join(dir, "whole.npz")
	mustRun(t, append(args, "--out", whole)...)
	got, err := surface.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := surface.Load(whole)
	equalSurfaces(t, got, want)
}

func TestSlurmRefusesBadScanFlags(t *testing.T) {
	dir, args := smallScan(t)
	out := filepath.Join(dir, "r.npz")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{append([]string{"slurm", "--shards", "2"}, args[1:]...), "unknown flag: --model (the scan's flags go after --)"},
		{append(append([]string{"slurm", "--shards", "2", "--"}, args[1:]...), "--out", out, "--shard", "1/2"), "sets it for each task"},
		{[]string{"slurm", "--shards", "2", "--", "--model", "resnet8", "--out", out}, `required flag(s) "data", "x" not set`},
		{append(append([]string{"slurm", "--shards", "2", "--"}, args[1:]...), "--out", filepath.Join(dir, "no", "r.npz")), "does not exist"},
		{append(append([]string{"slurm", "--shards", "0", "--"}, args[1:]...), "--out", out), "--shards 0"},
		{append(append([]string{"slurm", "--shards", "2", "--"}, args[1:]...), "--outt", out), "unknown flag: --outt"},
	} {
		_, e, code := run(t, c.args...)
		if code == 0 || !strings.Contains(e, c.msg) {
			t.Errorf("%q: exit %d, %s; want an error with %q", c.args, code, e, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r.sbatch")); err == nil {
		t.Error("a refused job wrote its script")
	}
}
