package cpu

import (
	"math"

	"landscape/model"
)

// The engine's element-wise layers, vectorised where the CPU allows (eltwise_amd64.s) and
// otherwise computed by the reference functions (ActivateLayer, the Go loops below). ReLU,
// Clip, HardSigmoid, HardSwish, add and multiply give the reference's results bit for bit;
// Sigmoid and SiLU compute e^(−x) in float32 (Cephes' expf: within a few ulp of the float64
// reference, as PyTorch's own vectorised float32 exponential is), carried as e^(−x)·2^64 and
// unscaled last, so that no subnormal operand arises (each a microcode assist at Go's default
// MXCSR) and a subnormal result is rounded once (eltwise_amd64.s, SIGMOIDF).

// actOp is an activation with a vector kernel.
type actOp int

const (
	actNone actOp = iota
	actClamp
	actHardSwish
	actHardSigmoid
	actSigmoid
	actSiLU
)

// kindParams is an activation and its parameters as the kernels take them.
type kindParams struct {
	op                  actOp
	lo, hi, alpha, beta float32
}

// actParams maps activation kind with l's parameters to a kernel (actNone where there is none:
// LeakyReLU, GELU, Tanh). ReLU is the clamp to [0, +Inf].
func actParams(kind model.OpKind, l *model.Layer) kindParams {
	switch kind {
	case model.OpReLU:
		return kindParams{op: actClamp, lo: 0, hi: float32(math.Inf(1))}
	case model.OpClip:
		return kindParams{op: actClamp, lo: l.Lo, hi: l.Hi}
	case model.OpHardSwish:
		return kindParams{op: actHardSwish}
	case model.OpHardSigmoid:
		return kindParams{op: actHardSigmoid, alpha: l.Alpha, beta: l.Beta}
	case model.OpSigmoid:
		return kindParams{op: actSigmoid}
	case model.OpSiLU:
		return kindParams{op: actSiLU}
	}
	return kindParams{}
}

// activate is ActivateLayer(kind, l, dst, src) with the vector kernels where there are some.
func activate(kind model.OpKind, l *model.Layer, dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	if kind == model.OpGELU {
		gelu(dst, src) // float32 with AVX-512 (gelu.go: within 10 ulp), else the float64 formula
		return
	}
	if p := actParams(kind, l); p.op == actNone || !activateAsm(p, dst, src) {
		ActivateLayer(kind, l, dst, src)
	}
}

func addRowGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulRowGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func scaleRowGo(dst, src []float32, f float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i] * f
	}
}

func sumRowGo(src []float32) float64 {
	var s float64
	for _, v := range src {
		s += float64(v)
	}
	return s
}

// meanRow returns the mean of src as GlobalAvgPool computes it (a float64 sum, divided, rounded
// to float32), the sum vectorised where the CPU allows.
func meanRow(src []float32) float32 { return float32(sumRow(src) / float64(len(src))) }
