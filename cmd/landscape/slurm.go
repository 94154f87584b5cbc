package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"landscape/cluster"
	"landscape/job"
)

func init() { extraCommands = append(extraCommands, slurmCmd) }

func slurmCmd() *cobra.Command {
	var j cluster.SlurmJob
	var script string
	var submit bool
	c := &cobra.Command{
		Use:                   "slurm --shards N [--partition P] [--gpus-per-task G] [--cpus-per-task C] [--time T] [--script FILE] [--submit] -- SCAN FLAGS",
		DisableFlagsInUseLine: true,
		Short:                 "Write (and submit) a Slurm job array that runs a scan in N shards, and a job that merges them",
		Long: `Writes an sbatch job-array script whose task I runs the scan given after -- as shard I of N
(scan --shard auto --shards N), into FILE.shard-I.npz next to the scan's --out FILE.npz; a task
that is re-queued or run again resumes its own file. A second script runs landscape merge into
FILE.npz. With --submit both are submitted, the merge with --dependency=afterok on the array,
and the job ids are printed. The scan flags are checked here before anything is written.`,
		Example: `  landscape slurm --shards 16 --partition gpu --gpus-per-task 1 --time 1:00:00 --submit -- \
      --model resnet56 --weights r56.safetensors --data cifar10:/data/cifar-10-batches-bin \
      --x -1:1:51 --y -1:1:51 --out /scratch/r56_2d.npz`,
		RunE: func(c *cobra.Command, args []string) error {
			if c.ArgsLenAtDash() != 0 {
				return errors.New("give the scan's flags after --, e.g. landscape slurm --shards 8 -- --model ... --out FILE.npz")
			}
			return runSlurm(c, &j, script, submit, args)
		},
	}
	fl := c.Flags()
	fl.IntVar(&j.Shards, "shards", 0, "number of shards, one array task each")
	fl.StringVar(&j.Partition, "partition", "", "sbatch --partition")
	fl.IntVar(&j.GPUsPerTask, "gpus-per-task", 0, "sbatch --gpus-per-task for the scan tasks")
	fl.IntVar(&j.CPUsPerTask, "cpus-per-task", 0, "sbatch --cpus-per-task for the scan tasks")
	fl.StringVar(&j.Time, "time", "", "sbatch --time limit of each task, e.g. 2:00:00")
	fl.StringVar(&script, "script", "", "the array script to write (default FILE.sbatch beside --out); the merge script gets .merge before the extension")
	fl.BoolVar(&submit, "submit", false, "submit both scripts with sbatch and print the job ids")
	c.MarkFlagRequired("shards")
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w (the scan's flags go after --)", err)
	})
	return c
}

func runSlurm(c *cobra.Command, j *cluster.SlurmJob, script string, submit bool, scanArgs []string) error {
	sc := scanCmd()
	if err := sc.ParseFlags(scanArgs); err != nil {
		return fmt.Errorf("the scan flags after --: %w", err)
	}
	if err := sc.ValidateRequiredFlags(); err != nil {
		return fmt.Errorf("the scan flags after --: %w", err)
	}
	if rest := sc.Flags().Args(); len(rest) > 0 {
		return fmt.Errorf("the scan flags after --: unexpected %q (scan takes flags only)", rest[0])
	}
	for _, f := range []string{"shard", "shards"} {
		if fl := sc.Flags().Lookup(f); fl != nil && fl.Changed {
			return fmt.Errorf("the scan flags after -- set --%s: landscape slurm sets it for each task", f)
		}
	}
	j.Out, _ = sc.Flags().GetString("out")
	j.ScanArgs = cluster.DropFlag(scanArgs, "out")
	var err error
	if j.Binary, err = os.Executable(); err != nil {
		return err
	}
	if j.Dir, err = os.Getwd(); err != nil {
		return err
	}
	if err := j.Check(); err != nil {
		return err
	}
	arrayPath, mergePath := cluster.ScriptPaths(script, j.Out)
	if err := j.WriteScripts(arrayPath, mergePath); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (array of %d tasks → %s) and %s (merge → %s)\n",
		arrayPath, j.Shards, filepath.Base(job.ShardPattern(j.Out)), mergePath, j.Out)
	if !submit {
		fmt.Fprintf(os.Stderr, "submit with: id=$(sbatch --parsable %s) && sbatch --dependency=afterok:$id %s (or add --submit)\n",
			cluster.Quote(arrayPath), cluster.Quote(mergePath))
		return nil
	}
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return fmt.Errorf("--submit: sbatch is not on PATH (run this on a Slurm login node); the scripts are written: %w", err)
	}
	ids, err := cluster.Submit(c.Context(), sbatch, arrayPath, mergePath)
	if err != nil {
		return err
	}
	fmt.Printf("array job %s\nmerge job %s\n", ids.Array, ids.Merge)
	fmt.Fprintf(os.Stderr, "the merged surface will be %s; follow with squeue -j %s,%s\n", j.Out, ids.Array, ids.Merge)
	return nil
}
