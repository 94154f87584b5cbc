package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeBin writes an executable bash script named name into dir with the given body.
func fakeBin(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/bash\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// recordingLandscape is a stand-in for the landscape binary that writes its arguments, one per
// line, to $ARGS_FILE.
func recordingLandscape(t *testing.T, dir string) string {
	return fakeBin(t, dir, "landscape", `printf '%s\n' "$@" > "$ARGS_FILE"`+"\n")
}

// runScript runs a generated script with bash and returns the arguments the binary got.
func runScript(t *testing.T, dir, text string, env ...string) []string {
	t.Helper()
	p := filepath.Join(dir, "job.sbatch")
	if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(dir, "args")
	cmd := exec.Command("bash", p)
	cmd.Env = append(os.Environ(), append(env, "ARGS_FILE="+argsFile)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bash %s: %v\n%s\n%s", p, err, out, text)
	}
	b, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func directives(text string) []string {
	var d []string
	for _, l := range strings.Split(text, "\n") {
		if s, ok := strings.CutPrefix(l, "#SBATCH "); ok {
			d = append(d, s)
		}
	}
	return d
}

func testJob(t *testing.T) (SlurmJob, string) {
	dir := t.TempDir()
	work := filepath.Join(dir, "my runs")
	os.MkdirAll(filepath.Join(work, "out"), 0o755)
	return SlurmJob{
		Shards: 4, Partition: "gpu", GPUsPerTask: 1, CPUsPerTask: 8, Time: "2:00:00",
		Binary: recordingLandscape(t, dir), Dir: work,
		ScanArgs: []string{"--model", "resnet56", "--weights", "it's here/w.safetensors", "--x", "-1:1:51",
			"--y=-1:1:51", "--raw", "--data", "cifar10:$HOME/c;rm -rf x"},
		Out: "out/r56.npz",
	}, dir
}

// The array script, run as task I, execs `landscape scan` with the user's flags unchanged (quotes,
// spaces, $ and ; included) and the shard flags; its directives ask for what the flags say.
func TestArrayScriptRunsTheShards(t *testing.T) {
	j, dir := testJob(t)
	if err := j.Check(); err != nil {
		t.Fatal(err)
	}
	text := j.ArrayScript()
	got := runScript(t, dir, text, "SLURM_ARRAY_TASK_ID=2")
	want := append(append([]string{"scan"}, j.ScanArgs...), "--workers", "8",
		"--out", filepath.Join(j.Dir, "out/r56.shard-{shard}.npz"), "--shard", "auto", "--shards", "4")
	if !slices.Equal(got, want) {
		t.Errorf("the scan got\n%q\nwant\n%q\nscript:\n%s", got, want, text)
	}
	d := directives(text)
	for _, w := range []string{"--array=0-3", "--requeue", "--partition=gpu", "--gpus-per-task=1", "--cpus-per-task=8",
		"--time=2:00:00", "--ntasks=1", `--chdir="` + j.Dir + `"`, `--output="` + filepath.Join(j.Dir, "out/r56.shard-%a.log") + `"`} {
		if !slices.Contains(d, w) {
			t.Errorf("no #SBATCH %s in\n%s", w, text)
		}
	}
	// --workers given: kept as it is.
	j.ScanArgs = append(j.ScanArgs, "--workers=3")
	want = append(append([]string{"scan"}, j.ScanArgs...), want[len(want)-6:]...)
	if got := runScript(t, dir, j.ArrayScript(), "SLURM_ARRAY_TASK_ID=0"); !slices.Equal(got, want) {
		t.Errorf("with --workers the scan got\n%q\nwant\n%q", got, want)
	}
	j.Partition, j.GPUsPerTask, j.CPUsPerTask, j.Time = "", 0, 0, ""
	for _, d := range directives(j.ArrayScript()) {
		for _, unwanted := range []string{"--partition", "--gpus-per-task", "--cpus-per-task", "--time"} {
			if strings.HasPrefix(d, unwanted) {
				t.Errorf("#SBATCH %s without the flag", d)
			}
		}
	}
}

func TestMergeScriptMergesEveryShard(t *testing.T) {
	j, dir := testJob(t)
	j.Out = filepath.Join(dir, "abs.npz")
	text := j.MergeScript()
	got := runScript(t, dir, text)
	want := []string{"merge", "--out", j.Out}
	for i := range 4 {
		want = append(want, filepath.Join(dir, fmt.Sprintf("abs.shard-%d.npz", i)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("merge got %q, want %q", got, want)
	}
	d := directives(text)
	if slices.ContainsFunc(d, func(s string) bool { return strings.HasPrefix(s, "--array") || strings.HasPrefix(s, "--gpus") }) {
		t.Errorf("the merge job asks for an array or GPUs:\n%s", text)
	}
	if !slices.Contains(d, "--output="+filepath.Join(dir, "abs.merge.log")) || !slices.Contains(d, "--partition=gpu") {
		t.Errorf("merge directives %q", d)
	}
}

func TestCheck(t *testing.T) {
	bad := map[string]func(*SlurmJob){
		"--shards 0":        func(j *SlurmJob) { j.Shards = 0 },
		"--gpus-per-task":   func(j *SlurmJob) { j.GPUsPerTask = -1 },
		"--cpus-per-task":   func(j *SlurmJob) { j.CPUsPerTask = -2 },
		"ending in .npz":    func(j *SlurmJob) { j.Out = "x.h5" },
		"NAME.shard-I.npz":  func(j *SlurmJob) { j.Out = "r-{shard}.npz" },
		"absolute":          func(j *SlurmJob) { j.Binary = "bin/landscape" },
		"a line break":      func(j *SlurmJob) { j.ScanArgs = append(j.ScanArgs, "a\nb") },
		"a line break or N": func(j *SlurmJob) { j.Time = "1:00\n#SBATCH --x" },
		"does not exist":    func(j *SlurmJob) { j.Out = "absent/r.npz" },
	}
	for msg, f := range bad {
		j, _ := testJob(t)
		f(&j)
		if err := j.Check(); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: got %v", msg, err)
		}
	}
}

func TestScriptPaths(t *testing.T) {
	for _, c := range [][4]string{
		{"", "runs/a.npz", "runs/a.sbatch", "runs/a.merge.sbatch"},
		{"s.sh", "a.npz", "s.sh", "s.merge.sh"},
		{"jobs/s", "a.npz", "jobs/s", "jobs/s.merge"},
	} {
		a, m := ScriptPaths(c[0], c[1])
		if a != c[2] || m != c[3] {
			t.Errorf("ScriptPaths(%q, %q) = %q, %q", c[0], c[1], a, m)
		}
	}
}

// Submit runs sbatch --parsable on the array script, then on the merge script with the array's
// id as an afterok dependency, and returns both ids.
func TestSubmitChainsTheMergeAfterTheArray(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	sbatch := fakeBin(t, dir, "sbatch", `echo "$*" >> `+Quote(log)+`
n=$(wc -l < `+Quote(log)+`)
[ "$n" = 1 ] && echo "4711;cluster" || echo 4712
`)
	s, err := Submit(context.Background(), sbatch, "a.sbatch", "a.merge.sbatch")
	if err != nil || s != (Submitted{Array: "4711", Merge: "4712"}) {
		t.Fatalf("Submit = %+v, %v", s, err)
	}
	calls, _ := os.ReadFile(log)
	want := "--parsable a.sbatch\n--parsable --dependency=afterok:4711 --kill-on-invalid-dep=yes a.merge.sbatch\n"
	if string(calls) != want {
		t.Errorf("sbatch calls\n%s\nwant\n%s", calls, want)
	}
}

func TestSubmitErrors(t *testing.T) {
	dir := t.TempDir()
	failing := fakeBin(t, dir, "sbatch1", "echo 'sbatch: error: invalid partition specified: gpu' >&2; exit 1\n")
	if _, err := Submit(context.Background(), failing, "a.sbatch", "m.sbatch"); err == nil || !strings.Contains(err.Error(), "invalid partition") {
		t.Errorf("a failing sbatch: %v", err)
	}
	garbled := fakeBin(t, dir, "sbatch2", "echo 'Submitted batch job 12'\n")
	if _, err := Submit(context.Background(), garbled, "a.sbatch", "m.sbatch"); err == nil || !strings.Contains(err.Error(), "not a job id") {
		t.Errorf("sbatch without --parsable output: %v", err)
	}
	count := filepath.Join(dir, "n")
	second := fakeBin(t, dir, "sbatch3", `if [ -e `+count+` ]; then echo 'sbatch: error: Job dependency problem' >&2; exit 1; fi
touch `+count+`; echo 77
`)
	s, err := Submit(context.Background(), second, "a.sbatch", "m.sbatch")
	if err == nil || s.Array != "77" || !strings.Contains(err.Error(), "array job 77 is submitted") ||
		!strings.Contains(err.Error(), "sbatch --dependency=afterok:77 m.sbatch") || !strings.Contains(err.Error(), "dependency problem") {
		t.Errorf("a failed merge submission: %+v %v", s, err)
	}
	if _, err := Submit(context.Background(), filepath.Join(dir, "absent"), "a", "b"); err == nil {
		t.Error("a missing sbatch succeeded")
	}
}

func TestDropFlag(t *testing.T) {
	got := DropFlag([]string{"--model", "m", "--out", "a.npz", "--x", "-1:1:3", "--out=b.npz", "--outer", "v"}, "out")
	if want := []string{"--model", "m", "--x", "-1:1:3", "--outer", "v"}; !slices.Equal(got, want) {
		t.Errorf("DropFlag = %q, want %q", got, want)
	}
}

func TestWriteScriptsAreExecutable(t *testing.T) {
	j, dir := testJob(t)
	a, m := ScriptPaths(filepath.Join(dir, "s.sbatch"), j.Out)
	if err := j.WriteScripts(a, m); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{a: j.ArrayScript(), m: j.MergeScript()} {
		b, err := os.ReadFile(p)
		st, _ := os.Stat(p)
		if err != nil || string(b) != want || st.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: %v, mode %v, content as generated: %v", p, err, st.Mode(), string(b) == want)
		}
	}
}
