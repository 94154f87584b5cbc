//go:build cuda

package gpu

import (
	"testing"

	"landscape/internal/enginetest"
)

// TestGraphConformance runs the conformance suite over the ONNX test graphs (every imported
// operator: the kernels of conv_direct.cu, eltwise.cu, concat.cu, layernorm.cu, pool_window.cu,
// and of vision transformers, attn.cu and bmm.cu; GraphCases, ExtGraphCases, ViTGraphCases and
// SwinGraphCases)
// on the device, in every precision on both conv paths, with the
// sizes from free memory and with tiny K and B.
func TestGraphConformance(t *testing.T) {
	for _, path := range []string{"fast", "reference"} {
		for _, prec := range Precisions {
			t.Run(path+"_"+prec+"_capacity", func(t *testing.T) {
				enginetest.RunGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
				enginetest.RunExtGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
				enginetest.RunViTGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
				enginetest.RunSwinGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path}), prec)
			})
			t.Run(path+"_"+prec+"_K3B2", func(t *testing.T) {
				enginetest.RunGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
				enginetest.RunExtGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
				enginetest.RunViTGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
				enginetest.RunSwinGraphsPrecision(t, factory(Options{Precision: prec, Kernels: path, Points: 3, Images: 2}), prec)
			})
		}
	}
}
