// common.cuh: definitions shared by every kernel family.
//
// Layout (all kernels): activations are NCHW float32, one tight tensor per weight set,
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
__device__ __forceinline__ double dmul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ double dadd_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ double dsub_rn(double a, double b) { return __dsub_rn(a, b); }
