package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"landscape/job"
)

func init() { extraCommands = append(extraCommands, mergeCmd) }

func mergeCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "merge --out FULL.npz SHARD.npz...",
		Short: "Merge the shard files of a split scan (scan --shard I/N) into one surface file",
		Long: `Merges surface files of one scan — the shards of scan --shard I/N, and partial unsharded
files of the same scan — into FULL.npz, written atomically. Files whose settings differ (other
than the shard) are refused, and so is a point with two different results. An existing FULL.npz
is merged too, never overwritten with less. When points are still missing, the merged file is
written all the same (scan resumes it), the missing points and the shards to re-run are listed,
and the exit status is 1.`,
		Example: `  landscape merge --out r56.npz r56.shard-0.npz r56.shard-1.npz r56.shard-2.npz r56.shard-3.npz
  landscape merge --out r56.npz r56.shard-*.npz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runMerge(out, args) },
	}
	c.Flags().StringVar(&out, "out", "", "the merged surface file (.npz)")
	c.MarkFlagRequired("out")
	return c
}

func runMerge(out string, files []string) error {
	sf, rep, err := job.MergeFiles(out, files)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: merged %d files: %d of %d points computed\n", out, rep.Inputs, rep.Points-len(rep.Missing), rep.Points)
	if rep.Complete() {
		return nil
	}
	const show = 10
	var pts []string
	for _, k := range rep.Missing[:min(show, len(rep.Missing))] {
		x, y := sf.Coord(k)
		if sf.Is2D() {
			pts = append(pts, fmt.Sprintf("%d (%g, %g)", k, x, y))
		} else {
			pts = append(pts, fmt.Sprintf("%d (%g)", k, x))
		}
	}
	if len(rep.Missing) > show {
		pts = append(pts, fmt.Sprintf("… %d more", len(rep.Missing)-show))
	}
	fmt.Fprintf(os.Stderr, "missing points: %s\n", strings.Join(pts, ", "))
	if rep.Shards > 0 {
		idx := make([]string, len(rep.Rerun))
		for i, r := range rep.Rerun {
			idx[i] = fmt.Sprint(r)
		}
		fmt.Fprintf(os.Stderr, "re-run shards %s of %d (scan --shard I/%d, or with Slurm sbatch --array=%s on the array script; each resumes its file), then merge again\n",
			strings.Join(idx, ", "), rep.Shards, rep.Shards, strings.Join(idx, ","))
	}
	return fmt.Errorf("%s: %d points still missing", out, len(rep.Missing))
}
