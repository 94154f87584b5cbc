// graph.cuh: what the kernels of imported graphs (conv_direct.cu, eltwise.cu, pool_window.cu,
// concat.cu) share: the activation codes of a fused or stand-alone activation, and the operand
// rounding of the reduced precisions, written as integer arithmetic so that the host emulator
// and the device compute the same bits.
//
//   act:  ACT_NONE   x
//         ACT_RELU   max(x, 0)                      (NaN stays NaN)
//         ACT_CLIP   min(max(x, lo), hi)            (ReLU6: lo 0, hi 6; NaN stays NaN)
//         ACT_LEAKY  x for x ≥ 0, alpha·x below
//         ACT_SIGMOID float( 1 / (1 + e^(−double(x))) )
//   which is cpu.Activate's arithmetic, step for step.
//
//   round_operand(x, prec): prec PREC_F32 x; PREC_TF32 nearest, ties away, 10-bit mantissa
//   (cvt.rna.tf32.f32); PREC_BF16 nearest even, 7-bit mantissa; NaN and ±∞ unchanged.
#pragma once
#include "common.cuh"

enum Act { ACT_NONE, ACT_RELU, ACT_CLIP, ACT_LEAKY, ACT_SIGMOID };
enum Prec { PREC_F32, PREC_TF32, PREC_BF16 };

__device__ __forceinline__ float activate_one(float v, int act, float lo, float hi, float alpha) {
    switch (act) {
    case ACT_RELU:
        return v < 0.f ? 0.f : v;
    case ACT_CLIP:
        return v < lo ? lo : (v > hi ? hi : v);
    case ACT_LEAKY:
        return v < 0.f ? mul_rn(v, alpha) : v;
    case ACT_SIGMOID:
        return __double2float_rn(1.0 / (1.0 + exp(-(double)v)));
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
