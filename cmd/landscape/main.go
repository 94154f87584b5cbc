// Command landscape computes and draws the loss landscapes of neural networks
// (Li et al., "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// errInterrupted marks a run stopped by a signal after saving its work.
var errInterrupted = errors.New("interrupted")

// interrupted is errInterrupted with the run's own account of what it saved.
type interrupted struct{ error }

func (interrupted) Is(target error) bool { return target == errInterrupted }

func main() {
	root := &cobra.Command{
		Use:           "landscape",
		Short:         "Loss landscapes of neural networks: scan, plot, view, hessian, trajectory, train, bench, and scale-out (merge, slurm)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(scanCmd(), benchCmd())
	for _, extra := range extraCommands {
		root.AddCommand(extra())
	}
	if err := root.Execute(); err != nil {
		if errors.Is(err, errInterrupted) {
			msg := "interrupted; the work done so far is saved"
			if err != errInterrupted {
				msg = err.Error()
			}
			fmt.Fprintln(os.Stderr, "landscape:", msg)
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "landscape:", err)
		os.Exit(1)
	}
}

// extraCommands are registered by other files of this command (plot, train, …).
var extraCommands []func() *cobra.Command
