package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"landscape/trajectory"
)

func init() { extraCommands = append(extraCommands, trajectoryCmd) }

type trajectoryFlags struct {
	model, final, ignore, out, path string
	checkpoints                     []string
	hw                              int
}

func trajectoryCmd() *cobra.Command {
	f := &trajectoryFlags{}
	c := &cobra.Command{
		Use:   "trajectory --model M --final W --checkpoints C1,C2,... --out DIRS.safetensors --path PATH.npz",
		Short: "PCA directions of an optimisation path (for scan --dirs) and each checkpoint's coordinates",
		Long: `As the paper's plot_trajectory.py: the matrix of (θ_i − θ_final) over the parameters
(conv/linear weights and biases, batch-norm scale and shift; entries with ≤ 1 dimension zeroed
with --ignore biasbn), centred, and its first two principal components as the x and y
directions, written to --out as a directions file (x.<name>, y.<name>, unit vectors) that
scan --dirs uses as they are. The explained-variance ratios are printed and stored; --path
gets each checkpoint's projection (dot product with the unit directions) under the keys
proj_xcoord, proj_ycoord, explained_variance_ratio and explained_variance.
Train's --save-every checkpoints feed it directly; plot SURF.npz --path PATH.npz draws the path.`,
		Example: `  landscape trajectory --model resnet20-c4 --final r.safetensors \
      --checkpoints r_epoch1.safetensors,r_epoch2.safetensors,r_epoch3.safetensors \
      --out r_pca.safetensors --path r_path.npz
  landscape scan --model resnet20-c4 --weights r.safetensors --dirs r_pca.safetensors --norm none ...`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runTrajectory(f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "zoo network (as scan)")
	fl.StringVar(&f.final, "final", "", "the final weights θ_final (.safetensors)")
	fl.StringSliceVar(&f.checkpoints, "checkpoints", nil, "checkpoints along the path, comma-separated or repeated")
	fl.StringVar(&f.ignore, "ignore", "biasbn", "biasbn: zero entries with ≤ 1 dimension; none: keep them")
	fl.StringVar(&f.out, "out", "", "the directions file to write (.safetensors)")
	fl.StringVar(&f.path, "path", "", "the path file to write (.npz)")
	fl.IntVar(&f.hw, "hw", 0, "input image size the network is built for (0: 28 or 32, whichever fits)")
	for _, req := range []string{"model", "final", "checkpoints", "out", "path"} {
		c.MarkFlagRequired(req)
	}
	return c
}

func runTrajectory(f *trajectoryFlags) error {
	if !strings.HasSuffix(f.out, ".safetensors") {
		return fmt.Errorf("--out %q: want a file name ending in .safetensors", f.out)
	}
	if !strings.HasSuffix(f.path, ".npz") {
		return fmt.Errorf("--path %q: want a file name ending in .npz", f.path)
	}
	r, err := trajectory.FromFiles(f.model, f.final, f.checkpoints, f.ignore, f.hw)
	if err != nil {
		return err
	}
	if err := r.Save(f.out, f.path, f.ignore, r.Meta(f.final, f.checkpoints, f.ignore)); err != nil {
		return err
	}
	fmt.Printf("explained_variance_ratio=%.6g,%.6g explained_variance=%.6g,%.6g\n",
		r.ExplainedVarianceRatio[0], r.ExplainedVarianceRatio[1], r.ExplainedVariance[0], r.ExplainedVariance[1])
	for i, c := range f.checkpoints {
		fmt.Printf("%s: x=%.6g y=%.6g\n", c, r.ProjX[i], r.ProjY[i])
	}
	fmt.Println(f.out)
	fmt.Println(f.path)
	return nil
}
