// Package kernels holds the CUDA kernels of the GPU engine as PTX, compiled from the .cu files
// beside this one by `make kernels` (nvcc 11.8, -arch=compute_80), and as cubins for sm_80 and
// sm_90 assembled from that PTX (ptxas 11.8), all committed, so building needs no CUDA toolkit.
// A worker loads the cubin of its GPU's architecture (no JIT); on other GPUs the driver
// JIT-compiles the PTX at module load.
//
// Each kernel's parameter list is generated from its .cu signature (go generate: Kernels, and
// gpu's typed launch wrappers) and checked against the PTX by this package's tests: every
// parameter's size, and for 8-byte ones whether the kernel uses it as an address or a number.
package kernels

//go:generate go run ./internal/cuda2go/run ..

import (
	"embed"
	"fmt"
)

//go:embed ptx/*.ptx
var ptxFiles embed.FS

//go:embed cubin/*.cubin
var cubinFiles embed.FS

// CubinArchs are the GPU architectures with embedded cubins (gpu.mk's CUBIN_ARCHS), as compute
// capability major·10 + minor.
var CubinArchs = []int{80, 90}

// Cubin returns the machine code of module for a GPU of compute capability major.minor, and its
// architecture (e.g. "sm_80"): the embedded cubin of the same major version and the highest minor
// version not above the device's (SASS runs on later minor versions of its major: an sm_80
// cubin on sm_86), or ok = false when none fits and the PTX must be JIT-compiled.
func Cubin(module string, major, minor int) (image []byte, arch string, ok bool) {
	best := -1
	for _, a := range CubinArchs {
		if a/10 == major && a%10 <= minor && a > best {
			best = a
		}
	}
	if best < 0 {
		return nil, "", false
	}
	arch = fmt.Sprintf("sm_%d", best)
	b, err := cubinFiles.ReadFile("cubin/" + module + "." + arch + ".cubin")
	if err != nil {
		return nil, "", false
	}
	return b, arch, true
}

// PTX returns the PTX text of module name (a .cu file's base name, e.g. "conv").
func PTX(module string) (string, error) {
	b, err := ptxFiles.ReadFile("ptx/" + module + ".ptx")
	if err != nil {
		return "", fmt.Errorf("kernels: no PTX module %q", module)
	}
	return string(b), nil
}

// Modules lists the embedded PTX modules.
func Modules() []string {
	entries, _ := ptxFiles.ReadDir("ptx")
	var out []string
	for _, e := range entries {
		n := e.Name()
		out = append(out, n[:len(n)-len(".ptx")])
	}
	return out
}

// Param is the kind of one kernel parameter, which fixes its size.
type Param byte

const (
	Ptr Param = 'p' // device pointer, 8 bytes
	I32 Param = 'i' // int, 4 bytes
	I64 Param = 'l' // long long, 8 bytes
	F32 Param = 'f' // float, 4 bytes
	F64 Param = 'd' // double, 8 bytes
)

// Kernel is one entry point: its module and its parameters in order, as generated from the
// .cu source by kernels/internal/cuda2go (signatures_gen.go).
type Kernel struct {
	Module, Name string
	Group        string // the macro its parameter list comes from (CONV_PARAMS), else its name
	Params       []Param
	Names        []string // the parameters' C names
	// Conv kernels (family_precision_bmTILE): family "conv" (reference, conv.cu and
	// conv_mma.cu), "conv2" (fast, conv_fast.cu) or "conv3" (halo, conv_halo.cu); operand
	// precision "f32", "tf32", "bf16" or "bf16f" (bf16 operands, float32 activations); row tile.
	// Empty for the other kernels.
	Family, Precision string
	Tile              int
}

// ConvName is the reference conv kernel for a precision ("f32", "tf32" or "bf16") and row tile
// (16, 32, 64): kernels/conv.cu and conv_mma.cu.
func ConvName(precision string, bm int) string { return fmt.Sprintf("conv_%s_bm%d", precision, bm) }

// ConvFastName is the fast (tap-major, cp.async-pipelined) conv kernel: kernels/conv_fast.cu.
func ConvFastName(precision string, bm int) string {
	return fmt.Sprintf("conv2_%s_bm%d", precision, bm)
}

// ConvHaloName is the 3x3 halo conv kernel (kernels/conv_halo.cu) for precision "tf32" or
// "bf16" and row tile 16 or 32.
func ConvHaloName(precision string, bm int) string {
	return fmt.Sprintf("conv3_%s_bm%d", precision, bm)
}

// ConvTile returns the row-tile height for a layer with cout output channels.
func ConvTile(cout int) int {
	switch {
	case cout <= 16:
		return 16
	case cout <= 32:
		return 32
	}
	return 64
}

// Threads per block of the conv kernels, by precision.
func ConvThreads(precision string) int {
	if precision == "f32" {
		return 256
	}
	return 128
}

// ConvPixelTile is the output-pixel tile (grid x covers ⌈B·OH·OW / ConvPixelTile⌉ blocks).
const ConvPixelTile = 128

// LossThreads is the loss kernels' threads per block (LOSS_THREADS).
const LossThreads = 256

// BmmThreads is the block size of bmm.cu's mma kernels (THREADS), BmmTile the side of the
// output tile one block computes (BI = BJ).
const BmmThreads, BmmTile = 128, 64

// Kernels lists every entry point of the embedded modules, by name.
var Kernels = func() map[string]Kernel {
	m := map[string]Kernel{}
	for _, k := range generated {
		m[k.Name] = k
	}
	return m
}()

// Lookup returns the kernel called name, or an error.
func Lookup(name string) (Kernel, error) {
	k, ok := Kernels[name]
	if !ok {
		return k, fmt.Errorf("kernels: no kernel %q", name)
	}
	return k, nil
}
