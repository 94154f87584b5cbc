// common.cuh: definitions shared by every kernel family.
//
// Layout (all kernels): activations are NCHW, float32 or (the bf16 kernels of the zoo path) bf16
// storage (bf16s below), one tight tensor per weight set,
// [K weight sets][B images][C][H][W], weight set k at offset k·set_stride (0 when every set
// reads the same tensor, as the first layer reads the images). Folded weights of a layer are
// W'[Cout][Cin][KH][KW] (PyTorch's order, so the dataset and the CPU engine need no transposes)
// and b'[Cout], again one copy per weight set at k·w_set_stride.
//
// Offsets that can pass 2^31 elements (anything scaled by the weight-set index) are 64-bit.
//
// Built two ways: by nvcc to PTX (the shipped path), and by a host C++ compiler with
// emu/emu.h (LS_EMULATE) so the index arithmetic can be tested on a machine without a GPU.
#pragma once

#ifdef LS_EMULATE
#include "emu/emu.h"
#endif

typedef long long i64;

#define LS_KERNEL extern "C" __global__

// Exactly-rounded float/double operations: nvcc contracts a*b+c into an FMA by default, which
// would make folded weights differ in the last bit from the CPU engine's.
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double dmul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double dadd_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double dsub_rn(double a, double b) { return __dsub_rn(a, b); }

// bf16s is an activation stored as bfloat16: the upper 16 bits of a float32 (PyTorch's bf16
// autocast stores activations so too). Kernels templated on the activation type A (float or
// bf16s) read it with act_load (exact widening to float32) and write it with act_store (float32
// rounded to nearest even by cvt.rn.bf16.f32; NaN stays NaN); all arithmetic stays float32.
struct bf16s {
    unsigned short bits;
};

// bf16_rn returns the bf16 nearest to x (ties to even; a NaN becomes a quiet NaN).
__device__ __forceinline__ unsigned short bf16_rn(float x) {
#ifdef LS_EMULATE
    const unsigned u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
    return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
#else
    unsigned short h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(x));
    return h;
#endif
}

__device__ __forceinline__ float act_load(const float *p) { return *p; }
__device__ __forceinline__ float act_load(const bf16s *p) { return __uint_as_float((unsigned)p->bits << 16); }
__device__ __forceinline__ void act_store(float *p, float v) { *p = v; }
__device__ __forceinline__ void act_store(bf16s *p, float v) { p->bits = bf16_rn(v); }

// ActType<BF16> is a kernel's activation type: bf16s for the bf16 kernels, float otherwise.
template <bool BF16> struct ActOf { typedef float type; };
template <> struct ActOf<true> { typedef bf16s type; };
template <bool BF16> using ActType = typename ActOf<BF16>::type;
