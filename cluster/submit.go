package cluster

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// Submitted are the job ids sbatch gave.
type Submitted struct{ Array, Merge string }

// Submit submits the array script, then the merge script with --dependency=afterok:<array>
// (and --kill-on-invalid-dep=yes, so that a failed array cancels the merge instead of leaving it
// pending), with sbatch --parsable. If the merge submission fails the array job is already
// queued: the error says so, with its id.
func Submit(ctx context.Context, sbatch, arrayScript, mergeScript string) (Submitted, error) {
	var s Submitted
	var err error
	if s.Array, err = runSbatch(ctx, sbatch, arrayScript); err != nil {
		return s, err
	}
	if s.Merge, err = runSbatch(ctx, sbatch, "--dependency=afterok:"+s.Array, "--kill-on-invalid-dep=yes", mergeScript); err != nil {
		return s, fmt.Errorf("the array job %s is submitted, but the merge job is not (submit it with `sbatch --dependency=afterok:%s %s`): %w",
			s.Array, s.Array, mergeScript, err)
	}
	return s, nil
}

var jobID = regexp.MustCompile(`^[0-9]+$`)

// runSbatch runs sbatch --parsable args and returns the job id ("ID" or "ID;CLUSTER" on stdout).
func runSbatch(ctx context.Context, sbatch string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, sbatch, append([]string{"--parsable"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("sbatch: %w", err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if !jobID.MatchString(id) {
		return "", fmt.Errorf("sbatch %s printed %q, not a job id", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return id, nil
}
