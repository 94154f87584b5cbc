package enginetest

import (
	"testing"

	"landscape/engine"
)

// LossTols are the relative tolerances on a loss sum per precision of the convolutions' products
// (everything else is float32, sums float32 or float64):
//
//   - fp32 1e-4: float32 arithmetic with batch norm folded, against the float64 naive network.
//   - tf32 3e-3: both operands rounded to a 10-bit mantissa (relative error up to 2^-11 ≈ 4.9e-4
//     each). On the Go model of the kernels' rounding (gpu/fake_conv_test.go: products of rounded
//     operands, summed in float32 as the tensor cores accumulate) the suite's worst loss error is
//     5.7e-4 (7.7e-4 when the model summed in float64).
//   - bf16 3e-2: 7-bit mantissas, 8 times tf32's rounding (2^-8 ≈ 3.9e-3 per operand); worst on
//     the model 7.1e-3 with float32 activations. Zoo plans in bf16 also store their activations
//     as bf16 (one more rounding per layer, as PyTorch's bf16 autocast stores them): the next
//     layer's operand rounding would round them the same way, so the extra error comes only from
//     residual adds, average pools and the logits reading rounded values; worst on the model
//     (gpu/fake_test.go rounds stored activations as the kernels do) 5.0e-3, graph plans (float32
//     activations) 5.8e-3, so 3e-2 stands.
//
// (Measured with go test -v -run EngineOnKernelModels ./gpu, which logs every point's error.)
var LossTols = map[string]float64{"fp32": LossTol, "tf32": 3e-3, "bf16": 3e-2}

// SquaresTols are the relative tolerances on Σ ℓ² (engine.Sums.LossSq) per precision: twice the
// loss sums' (d(ℓ²)/ℓ² = 2·dℓ/ℓ per image). Squares weigh the high-loss images most and their
// errors cancel less than in Σ ℓ, so the margin is smaller: on the kernel models the suite's
// worst Σ ℓ² errors are 3.8e-6 (fp32), 1.6e-3 (tf32) and 1.6e-2 (bf16), against 2.4e-6, 5.7e-4
// and 5.0e-3 for the loss sums (same command as above; with the float64 sums the model had
// until 2026-12-07: 2.3e-7, 1.4e-3 and 2.2e-2 against 1.1e-7, 7.7e-4 and 5.8e-3).
var SquaresTols = map[string]float64{"fp32": 2 * LossTol, "tf32": 6e-3, "bf16": 6e-2}

// Run is RunPrecision in fp32.
func Run(t *testing.T, factory engine.Factory) { RunPrecision(t, factory, "fp32") }

// lossTol returns the loss tolerance and the correct-count slack of a precision.
func lossTol(t *testing.T, precision string) (float64, int64) {
	tol, ok := LossTols[precision]
	if !ok {
		t.Fatalf("enginetest: precision %q: want fp32, tf32 or bf16", precision)
	}
	if precision == "bf16" {
		return tol, 2
	}
	return tol, 1
}
