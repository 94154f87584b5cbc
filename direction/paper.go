package direction

import (
	"strings"

	"landscape/model"
)

// paperGap stands in for a parameter a directions file lacks when it has one dimension or fewer
// (a bias, a batch-norm weight or bias): a zero tensor. Direction
// files converted from the paper's code, or written by scripts that skip what `--ignore biasbn`
// zeroes, hold only the ≥ 2-dim entries; Normalize sets every ≤ 1-dim direction from --ignore
// (zero, or the weight) whatever the file holds, so nothing is lost. Larger entries, and running
// statistics (their absence means a file made for --dir-type weights), stay required.
func paperGap(prefix string, p model.ParamSpec) *model.Tensor {
	if len(p.Shape) > 1 || !p.Kind.IsParameter() {
		return nil
	}
	return model.NewTensor(prefix+p.Name, p.Shape...)
}

// paperExtra reports whether a tensor a directions file holds beyond the network's entries is
// one to skip: num_batches_tracked, which a state_dict-ordered direction (the paper's
// dir_type "states") carries but no scan perturbs.
func paperExtra(name string) bool {
	return strings.HasSuffix(name, "num_batches_tracked")
}
