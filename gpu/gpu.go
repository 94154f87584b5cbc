// Package gpu is the CUDA engine: it evaluates many weight sets θ + α_k·δ + β_k·η at once on one
// GPU, with the dataset and θ, δ, η resident on the device, the weight sets combined and their
// batch norms folded on the device, and only (α_k, β_k) going in and per-point sums coming out.
//
// Built with -tags cuda it drives the GPU through gorgonia.org/cu (the CUDA driver API) and the
// PTX of package kernels. gorgonia.org/cu ends the process when cuInit fails, so only the worker
// binary cmd/landscape-gpu is built that way; the landscape binary reaches GPUs through package
// gpu/remote. Without the tag, New returns ErrNoCUDA.
//
// Everything that needs no device is plain Go and tested everywhere: Layout (where each tensor
// lives, the fold table, the im2col tap tables, batch sizes from free memory) and the Engine
// itself, which drives a backend: the CUDA driver (device_cuda.go), or in tests Go models of
// the kernels (fake_test.go) on which the conformance suite runs. The kernels' own arithmetic
// is tested on the host by kernels/emu and against the CPU engine on a GPU (engine_cuda_test.go).
package gpu

import (
	"errors"
	"fmt"
	"os"
)

// ErrNoCUDA is returned by New and Devices in builds without the cuda tag.
var ErrNoCUDA = errors.New("gpu: built without CUDA (build cmd/landscape-gpu with -tags cuda: make gpu)")

// Options configure an engine.
type Options struct {
	Device    int    // CUDA device ordinal
	Precision string // "fp32" (default), "tf32" or "bf16": the convolutions' arithmetic
	Points    int    // weight sets per launch (K); 0: from free memory (Layout.Capacity)
	Images    int    // images per launch (B); 0: from free memory
	// Sync waits for every kernel right after its launch, so that a fault names the kernel
	// that caused it (slow; for debugging). Also set by LANDSCAPE_GPU_SYNC=1.
	Sync bool
	// Kernels picks the convolution kernels: "fast" (default: kernels/conv_fast.cu for every
	// layer with Cin % 4 == 0, the reference kernels for the others) or "reference" (the first
	// kernels, conv.cu and conv_mma.cu, for every layer). Also set by LANDSCAPE_GPU_KERNELS.
	Kernels string
	// NoGraphs launches every kernel directly instead of replaying each batch's CUDA graph
	// (cudagraph.go). Also set by LANDSCAPE_GPU_GRAPH=0, and implied by Sync.
	NoGraphs bool
}

// KernelsEnv is the environment variable that sets Options.Kernels when Options leaves it empty.
const KernelsEnv = "LANDSCAPE_GPU_KERNELS"

// kernelPath resolves Options.Kernels (and the environment) to "fast" or "reference".
func kernelPath(k string) (string, error) {
	if k == "" {
		k = os.Getenv(KernelsEnv)
	}
	switch k {
	case "", "fast":
		return "fast", nil
	case "reference":
		return k, nil
	}
	return "", fmt.Errorf("gpu: kernels %q: want fast or reference", k)
}

// SyncEnv is the environment variable that sets Options.Sync in every engine when "1".
const SyncEnv = "LANDSCAPE_GPU_SYNC"

// Precisions lists the accepted Options.Precision values.
var Precisions = []string{"fp32", "tf32", "bf16"}

// kernelPrecision maps an Options.Precision to the conv kernels' name part.
func kernelPrecision(p string) (string, error) {
	switch p {
	case "", "fp32":
		return "f32", nil
	case "tf32", "bf16":
		return p, nil
	}
	return "", fmt.Errorf("gpu: precision %q: want fp32, tf32 or bf16", p)
}
