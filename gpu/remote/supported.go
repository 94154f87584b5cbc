package remote

import (
	"fmt"

	"landscape/model"
)

// Supported reports whether the GPU engine can evaluate network n. Its kernels cover the zoo's
// layers (square convolutions, folded batch norm, residual add, ReLU, ceil-mode max pooling,
// global average pooling, linear layers), and its worker rebuilds a network by zoo name, so a
// graph imported from a file (ONNX: grouped or dilated convolutions, concatenation, other
// pools and activations) is refused and `--device auto` computes it on the CPU.
func Supported(n *model.Net) error {
	if n.File != "" {
		return fmt.Errorf("the GPU engine runs the zoo networks only, not graph files such as %s", n.File)
	}
	return nil
}
