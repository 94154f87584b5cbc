// Package cluster runs a sharded scan on a cluster's own scheduler: a Slurm job array whose
// task I runs `landscape scan --shard auto` (shard I of N, written to FILE.shard-I.npz and resumed
// when the task is re-queued) followed by a merge job that waits for the whole array
// (--dependency=afterok) and runs `landscape merge` into FILE.npz; and the same shards as a
// Kubernetes Indexed Job.
package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"landscape/job"
	"landscape/model"
)

// SlurmJob is a scan split into Shards tasks of a Slurm job array, and its merge.
type SlurmJob struct {
	Shards      int
	Partition   string // sbatch --partition; "" for the cluster's default
	GPUsPerTask int    // sbatch --gpus-per-task; 0 for none
	CPUsPerTask int    // sbatch --cpus-per-task; 0 for the default
	Time        string // sbatch --time (e.g. 2:00:00); "" for the partition's default
	Binary      string // the landscape executable, an absolute path the nodes can run
	Dir         string // the jobs' working directory (absolute): relative paths resolve as at submission
	ScanArgs    []string
	Out         string // the merged surface (.npz); shard I goes to job.ShardPath(Out, I)
}

// Check reports what is wrong with the job, naming the flag.
func (j SlurmJob) Check() error {
	switch {
	case j.Shards < 1:
		return fmt.Errorf("--shards %d: want the number of array tasks, at least 1", j.Shards)
	case j.GPUsPerTask < 0:
		return fmt.Errorf("--gpus-per-task %d: want 0 or more", j.GPUsPerTask)
	case j.CPUsPerTask < 0:
		return fmt.Errorf("--cpus-per-task %d: want 0 or more", j.CPUsPerTask)
	case !strings.HasSuffix(j.Out, ".npz"):
		return fmt.Errorf("--out %q: want a file name ending in .npz", j.Out)
	case strings.Contains(j.Out, job.ShardPlaceholder):
		return fmt.Errorf("--out %q: give the merged file's name; the shards go next to it as NAME.shard-I.npz", j.Out)
	case !filepath.IsAbs(j.Binary) || !filepath.IsAbs(j.Dir):
		return fmt.Errorf("the landscape binary %q and working directory %q must be absolute paths", j.Binary, j.Dir)
	}
	for _, s := range append([]string{j.Partition, j.Time, j.Dir, j.Out}, j.ScanArgs...) {
		if strings.ContainsAny(s, "\n\r\x00") {
			return fmt.Errorf("%q: a line break or NUL cannot go into a job script", s)
		}
	}
	if d := filepath.Dir(j.abs(j.Out)); !isDir(d) {
		return fmt.Errorf("--out %s: the folder %s does not exist; create it (the shards and the jobs' logs go there)", j.Out, d)
	}
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// ScriptPaths names the two scripts: script as given (default: the output's stem + ".sbatch")
// and the merge script beside it with ".merge" before the extension.
func ScriptPaths(script, out string) (array, merge string) {
	if script == "" {
		script = strings.TrimSuffix(out, ".npz") + ".sbatch"
	}
	ext := filepath.Ext(script)
	return script, strings.TrimSuffix(script, ext) + ".merge" + ext
}

func (j SlurmJob) stem() string { return strings.TrimSuffix(j.abs(j.Out), ".npz") }

func (j SlurmJob) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(j.Dir, p)
}

// directives are the #SBATCH lines both scripts share.
func (j SlurmJob) directives(name, log string) []string {
	d := []string{"--job-name=" + name, "--chdir=" + j.Dir, "--output=" + log, "--open-mode=append", "--ntasks=1"}
	if j.Partition != "" {
		d = append(d, "--partition="+j.Partition)
	}
	if j.Time != "" {
		d = append(d, "--time="+j.Time)
	}
	return d
}

// ArrayScript is the sbatch script of the job array: task I runs shard I of Shards into
// FILE.shard-I.npz (--shard auto reads SLURM_ARRAY_TASK_ID) and is re-queued rather than lost
// on a node failure; a re-queued task resumes its own file. With CPUsPerTask and no --workers
// among the scan flags, the scan runs that many CPU workers.
func (j SlurmJob) ArrayScript() string {
	name := "landscape-" + filepath.Base(j.stem())
	d := j.directives(name, j.stem()+".shard-%a.log")
	d = append(d, fmt.Sprintf("--array=0-%d", j.Shards-1), "--requeue")
	if j.CPUsPerTask > 0 {
		d = append(d, "--cpus-per-task="+strconv.Itoa(j.CPUsPerTask))
	}
	if j.GPUsPerTask > 0 {
		d = append(d, "--gpus-per-task="+strconv.Itoa(j.GPUsPerTask))
	}
	args := append([]string{"scan"}, j.ScanArgs...)
	if j.CPUsPerTask > 0 && !hasFlag(j.ScanArgs, "workers") {
		args = append(args, "--workers", strconv.Itoa(j.CPUsPerTask)) // not every core of the node
	}
	args = append(args, "--out", job.ShardPattern(j.abs(j.Out)), "--shard", "auto", "--shards", strconv.Itoa(j.Shards))
	head := fmt.Sprintf("# A loss-landscape scan in %d shards, written by `landscape slurm`. Task I computes shard I\n"+
		"# into %s (resuming it if the task runs again); the merge job merges them into %s.",
		j.Shards, filepath.Base(job.ShardPattern(j.Out)), filepath.Base(j.Out))
	return script(head, d, j.Binary, args)
}

// MergeScript is the sbatch script of the merge job: `landscape merge` of every shard file into
// the output. Submit it with --dependency=afterok:<array job>.
func (j SlurmJob) MergeScript() string {
	name := "landscape-" + filepath.Base(j.stem()) + "-merge"
	d := j.directives(name, j.stem()+".merge.log")
	args := []string{"merge", "--out", j.abs(j.Out)}
	for i := range j.Shards {
		args = append(args, job.ShardPath(j.abs(j.Out), i))
	}
	head := fmt.Sprintf("# Merges the %d shard files of a loss-landscape scan into %s, written by `landscape slurm`.\n"+
		"# It fails, listing the shards to re-run, if any point is missing.", j.Shards, filepath.Base(j.Out))
	return script(head, d, j.Binary, args)
}

// script is a bash script with the given comment and #SBATCH directives that execs bin with
// args, one flag (with its value) or operand per line.
func script(head string, directives []string, bin string, args []string) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n" + head + "\n")
	for _, d := range directives {
		b.WriteString("#SBATCH " + directiveQuote(d) + "\n")
	}
	b.WriteString("set -euo pipefail\nexec " + Quote(bin))
	for i, a := range args {
		if i > 0 && !isFlagValue(args, i) {
			b.WriteString(" \\\n   ")
		}
		b.WriteString(" " + Quote(a))
	}
	b.WriteString("\n")
	return b.String()
}

// isFlagValue reports whether args[i] is the value of a "--flag" before it (one without "=").
func isFlagValue(args []string, i int) bool {
	p := args[i-1]
	return strings.HasPrefix(p, "--") && !strings.Contains(p, "=") && !strings.HasPrefix(args[i], "--")
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// Quote makes s one bash word: unchanged when it holds only safe characters, else in single
// quotes; a single quote inside ends the quoting, is written \' and the quoting resumes.
func Quote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// directiveQuote quotes an #SBATCH option whose value holds spaces (sbatch reads these lines
// itself, honouring double quotes).
func directiveQuote(d string) string {
	if !strings.ContainsAny(d, " \t") {
		return d
	}
	k, v, _ := strings.Cut(d, "=")
	return k + `="` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}

// WriteScripts writes ArrayScript and MergeScript to the two paths, executable, each replaced
// atomically.
func (j SlurmJob) WriteScripts(arrayPath, mergePath string) error {
	for _, f := range []struct{ path, text string }{{arrayPath, j.ArrayScript()}, {mergePath, j.MergeScript()}} {
		if err := model.WriteFileAtomic(f.path, []byte(f.text)); err != nil {
			return err
		}
		if err := os.Chmod(f.path, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// hasFlag reports whether args set --name (as "--name VALUE" or "--name=VALUE").
func hasFlag(args []string, name string) bool {
	return len(DropFlag(args, name)) != len(args)
}

// DropFlag removes every "--name VALUE" and "--name=VALUE" from args (a flag that takes a value).
func DropFlag(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--"+name:
			i++
		case strings.HasPrefix(args[i], "--"+name+"="):
		default:
			out = append(out, args[i])
		}
	}
	return out
}
