// graph.cuh: what the kernels of imported graphs (conv_direct.cu, eltwise.cu, pool_window.cu,
// concat.cu, layernorm.cu) share: the codes of a fused or stand-alone activation, of an operand
// precision and of an arithmetic operator, and the operand rounding of the reduced precisions,
// written as integer arithmetic so that the host emulator and the device compute the same bits.
// The enums are the only definitions of their codes: cuda2go generates the Go constants
// (kernels/enums_gen.go: kernels.Act, kernels.Prec, kernels.ArithOp, kernels.ArithVec,
// kernels.BinaryOp) from them.
//
//   activate_one(x, act, lo, hi, alpha, beta) is cpu.ActivateLayer's arithmetic, step for step:
//   the transcendental and the hard activations in double, rounded once to float32.
//
//   round_operand(x, prec): prec PREC_F32 x; PREC_TF32 nearest, ties away, 10-bit mantissa
//   (cvt.rna.tf32.f32); PREC_BF16 nearest even, 7-bit mantissa; NaN and ±∞ unchanged.
#pragma once
#include "common.cuh"

enum Act {
    ACT_NONE,        // x
    ACT_RELU,        // max(x, 0) (NaN stays NaN)
    ACT_CLIP,        // min(max(x, lo), hi) (ReLU6: lo 0, hi 6; NaN stays NaN)
    ACT_LEAKY,       // x for x ≥ 0, alpha·x below
    ACT_SIGMOID,     // 1/(1 + e^(−x))
    ACT_HARDSIGMOID, // max(0, min(1, alpha·x + beta))
    ACT_HARDSWISH,   // x·max(0, min(1, x/6 + 1/2))
    ACT_SILU,        // x/(1 + e^(−x))
    ACT_GELU,        // x/2·(1 + erf(x/√2))
    ACT_GELU_TANH,   // x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    ACT_TANH,        // tanh(x)
};

enum Prec {
    PREC_F32,  // float32 operands
    PREC_TF32, // operands rounded to tf32 (nearest, ties away)
    PREC_BF16, // operands rounded to bf16 (nearest even)
};

enum ArithOp {
    ARITH_ADD, // x + v
    ARITH_SUB, // x − v (v − x reversed)
    ARITH_MUL, // x · v
    ARITH_DIV, // x / v (v / x reversed)
};

// ArithVec: how arith's operand vector v_k is indexed for element [b][c][i] (eltwise.cu).
enum ArithVec {
    ARITH_VEC_ONE,      // one value for all: v_k[0]
    ARITH_VEC_CHANNEL,  // one value per channel: v_k[c]
    ARITH_VEC_PIXEL,    // one per element stored pixel-major: v_k[i·C + c] (position embedding, mask)
    ARITH_VEC_GATHERED, // one per element through an index table: v_k[index[i·C + c]] (Swin's bias)
};

// BinaryOp: binary's operation on two activations (eltwise.cu).
enum BinaryOp {
    BINARY_ADD,         // Lhs + Rhs
    BINARY_MUL,         // Lhs ⊙ Rhs
    BINARY_MUL_CHANNEL, // Lhs[b][c][i] · Rhs[b][c] (squeeze-and-excitation: a factor per image and channel)
};

// clamp01 is max(0, min(1, t)) as Go's math.Max and math.Min compute it: NaN stays NaN, −0 → +0.
__device__ __forceinline__ double clamp01(double t) { return t <= 0 ? 0.0 : (t > 1 ? 1.0 : t); }

__device__ __forceinline__ float activate_one(float v, int act, float lo, float hi, float alpha, float beta) {
    const double x = v;
    switch (act) {
    case ACT_RELU:
        return v < 0.f ? 0.f : v;
    case ACT_CLIP:
        return v < lo ? lo : (v > hi ? hi : v);
    case ACT_LEAKY:
        return v < 0.f ? mul_rn(v, alpha) : v;
    case ACT_SIGMOID:
        return __double2float_rn(1.0 / (1.0 + exp(-x)));
    case ACT_HARDSIGMOID:
        return __double2float_rn(clamp01(dadd_rn(dmul_rn(alpha, x), beta)));
    case ACT_HARDSWISH:
        return __double2float_rn(dmul_rn(x, clamp01(dadd_rn(__ddiv_rn(x, 6.0), 0.5))));
    case ACT_SILU:
        return __double2float_rn(__ddiv_rn(x, dadd_rn(1.0, exp(-x))));
    case ACT_GELU:
        return __double2float_rn(dmul_rn(__ddiv_rn(x, 2.0), dadd_rn(1.0, erf(__ddiv_rn(x, 1.4142135623730951)))));
    case ACT_GELU_TANH: {
        const double cube = dmul_rn(dmul_rn(0.044715, x), x), inner = dadd_rn(x, dmul_rn(cube, x));
        return __double2float_rn(dmul_rn(__ddiv_rn(x, 2.0), dadd_rn(1.0, tanh(dmul_rn(0.7978845608028654, inner)))));
    }
    case ACT_TANH:
        return __double2float_rn(tanh(x));
    }
    return v;
}

__device__ __forceinline__ float round_operand(float x, int prec) {
    unsigned u = __float_as_uint(x);
    if (prec == PREC_TF32) {
        if ((u & 0x7f800000u) == 0x7f800000u) return x;
        return __uint_as_float((u + 0x1000u) & ~0x1fffu);
    }
    if (prec == PREC_BF16) {
        if ((u & 0x7fffffffu) > 0x7f800000u) return x;
        return __uint_as_float((u + 0x7fffu + ((u >> 16) & 1u)) & ~0xffffu);
    }
    return x;
}
