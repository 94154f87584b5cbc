package gemm

import (
	"fmt"
	"math"
)

// # bfloat16 products
//
// FusedBF16 is Fused for operands that are bfloat16 numbers (the upper 16 bits of a float32:
// 8 exponent bits, 7 stored mantissa bits) held in float32s: every product of an element of A
// and one of B is exact in float32, and the sums are accumulated in float32, as PyTorch's
// autocast to bfloat16 computes a convolution. The implementation is chosen at start-up, best
// first (BF16KernelName):
//
//   - "amx-bf16": Intel AMX tiles (TDPBF16PS: a 16×32 by 32×16 bf16 product added to a 16×16
//     float32 tile), when the CPU has AMX-BF16 and Linux grants the tile-data state
//     (arch_prctl ARCH_REQ_XCOMP_PERM); see amx_amd64.go.
//   - "avx512-bf16": VDPBF16PS (AVX512-BF16: 16 float32 lanes, each adding the two products of
//     a pair of bf16 numbers) on the same packed operands, when the CPU has AVX512-BF16 (AMD
//     Zen 4 and 5, Intel Cooper Lake and later).
//   - "neon-bf16" (arm64): BFDOT by element (FEAT_BF16: 4 float32 lanes, each adding the two
//     products of a pair) on 8×12 tiles, when the CPU has FEAT_BF16 (bf16_arm64.go).
//   - otherwise the float32 kernels of Fused (KernelName) on the same numbers: the products
//     are exact in float32 either way, so the results differ only by the order of the sums.
//
// TDPBF16PS adds pairs of products (a₂ₚb₂ₚ + a₂ₚ₊₁b₂ₚ₊₁) to each accumulator and flushes
// denormal inputs and results to zero; the float32 kernels add one product at a time. Both
// stay within the float32 bound of doc.go's Accuracy section.

// RoundBF16 rounds x to the nearest bfloat16 (ties to even) and returns it as a float32. NaN
// stays NaN (quiet), ±Inf stays ±Inf, and a finite x beyond the largest bfloat16 becomes ±Inf.
func RoundBF16(x float32) float32 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it one after truncation
		return math.Float32frombits((b | 0x00400000) & 0xffff0000)
	}
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b & 0xffff0000)
}

// RoundBF16s rounds every element of x to bfloat16 in place (RoundBF16), 16 at a time with
// AVX-512 where the CPU has it.
func RoundBF16s(x []float32) {
	tail := x[roundBF16Asm(x):]
	for i, v := range tail {
		tail[i] = RoundBF16(v)
	}
}

// bf16Impl computes FusedBF16; nil means Fused's float32 kernels do.
type bf16Impl interface {
	name() string
	// pack lays the m×k matrix A out for fused in dst (grown as needed) and returns it.
	// fused reads B from b, or from pb when b is nil; with pc not nil (and round) it also stores
	// the results as channel pairs there (FusedBF16ToPairs).
	pack(dst []uint16, m, k int, a []float32, lda int) []uint16
	fused(w *Workspace, packed []uint16, m, n, k int, b *Gathered, pb *Paired, c []float32, ldc int, bias, res []float32, ldr int, relu, round bool, pc []uint32, ldp int)
}

// bf16Current is the bfloat16 implementation in use (nil: the float32 kernels).
var bf16Current bf16Impl = archBF16()

// archBF16 is the best bfloat16 implementation of this CPU (nil: none but the float32 kernels).
func archBF16() bf16Impl {
	if l := archBF16s(); len(l) > 0 {
		return l[0]
	}
	return nil
}

// BF16KernelName names what computes FusedBF16 in this process: "amx-bf16", "avx512-bf16", or
// the float32
// kernel family (KernelName) on bfloat16 inputs.
func BF16KernelName() string {
	if bf16Current != nil {
		return bf16Current.name()
	}
	return KernelName()
}

// SetBF16Impl selects the bfloat16 implementation for later FusedBF16 calls: "amx-bf16" or
// "avx512-bf16" (when available), or "" for the float32 kernels; it reports whether name is available. For
// tests and benchmarks only, not while any FusedBF16 runs.
func SetBF16Impl(name string) bool {
	if name == "" {
		bf16Current = nil
		return true
	}
	for _, im := range archBF16s() {
		if im.name() == name {
			bf16Current = im
			return true
		}
	}
	return false
}

// FusedBF16 is Fused (same arguments, same result up to the order of the sums) for an A and a
// B whose elements are bfloat16 numbers (RoundBF16 leaves them unchanged); other values are
// truncated to bfloat16 by the AMX kernels and used as they are by the float32 ones, so callers
// round first. Bias and residual are float32. It packs A on every call: a caller that uses the
// same A many times packs it once into BF16Weights and calls FusedBF16W.
func (w *Workspace) FusedBF16(m, n, k int, a []float32, lda int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, relu bool) {
	checkFused(m, n, k, a, lda, b, c, ldc, bias, res, ldr)
	w.bw.Pack(m, k, a, lda)
	w.FusedBF16W(&w.bw, n, b, c, ldc, bias, res, ldr, relu, false)
}

// BF16Weights is an m×k matrix A of bfloat16 numbers prepared for FusedBF16W: packed for the
// bfloat16 implementation in use when Pack ran (AMX tiles), and the float32 matrix itself,
// which Pack does not copy and which must stay unchanged while the BF16Weights is used. The
// zero value is ready for Pack, which reuses its buffer.
type BF16Weights struct {
	m, k   int
	a      []float32
	lda    int
	im     bf16Impl // the implementation packed is for (nil: none)
	packed []uint16
}

// Pack prepares the m×k matrix a (row stride lda) for FusedBF16W (m a multiple of FusedMR).
func (p *BF16Weights) Pack(m, k int, a []float32, lda int) {
	if m < 0 || m%FusedMR != 0 || k < 1 || lda < k || len(a) < matLen(m, k, lda) {
		panic(fmt.Sprintf("gemm: BF16Weights.Pack: m = %d, k = %d, lda = %d, len(a) = %d: want m a multiple of %d, k ≥ 1, lda ≥ k and a holding the matrix", m, k, lda, len(a), FusedMR))
	}
	p.m, p.k, p.a, p.lda, p.im = m, k, a, lda, bf16Current
	if p.im != nil && m > 0 {
		p.packed = p.im.pack(p.packed, m, k, a, lda)
	}
}

// FusedBF16W is FusedBF16 with A prepared by Pack; with roundC it also rounds each result to
// bfloat16 (RoundBF16) as it stores it, for a product whose output feeds another.
func (w *Workspace) FusedBF16W(a *BF16Weights, n int, b *Gathered, c []float32, ldc int, bias, res []float32, ldr int, relu, roundC bool) {
	m, k := a.m, a.k
	checkFused(m, n, k, a.a, a.lda, b, c, ldc, bias, res, ldr)
	if m == 0 || n == 0 {
		return
	}
	if a.im == nil || a.im != bf16Current {
		w.fused(m, n, k, a.a, a.lda, b, c, ldc, bias, res, ldr, relu, roundC)
		return
	}
	if w.Before != nil {
		panic("gemm: FusedBF16W: Workspace.Before is set for the bfloat16 kernels, which do not call it")
	}
	a.im.fused(w, a.packed, m, n, k, b, nil, c, ldc, bias, res, ldr, relu, roundC, nil, 0)
}
