// emu.h: just enough of CUDA to run the kernels on the host, for testing their index arithmetic
// on machines without a GPU (kernels/emu, `make -f gpu.mk kernels-emu`).
//
// Blocks run one after another; the threads of a block run as std::threads, so __syncthreads is
// a real barrier and a kernel that syncs divergently hangs here as it would deadlock there.
// __shared__ is `static`: one block at a time means one copy is exactly one block's memory.
// mma.sync is emulated per warp from the fragment layouts the kernels assume (see emu.cpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(n)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct int2 {
    int x, y;
};
struct float2 {
    float x, y;
};
struct float4 {
    float x, y, z, w;
};
struct uint2 {
    unsigned x, y;
};
struct uint4 {
    unsigned x, y, z, w;
};

extern thread_local dim3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

void __syncthreads();
void emu_launch(dim3 grid, dim3 block, const std::function<void()> &kernel);
unsigned emu_tf32(float x);
void emu_mma_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]);
void emu_mma_bf16(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]);
// The fast kernels' instructions (async.cuh; models of the PTX ISA's text in emu.cpp).
void emu_cp_async(void *dst, const void *src, int cp_size, int src_size);
void emu_cp_async_commit();
void emu_cp_async_wait(int n);
int emu_cp_async_pending(); // this thread's copies not yet complete (tests)
void emu_ldmatrix_x4(unsigned (&r)[4], const void *row);
unsigned emu_cvt_bf16x2(float hi, float lo);

using std::max;
using std::min;
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }
// __trap: "abort execution and generate an interrupt to the host CPU" (CUDA C++ Programming
// Guide, trap function); here an exception the test reports.
[[noreturn]] void __trap();
inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __int_as_float(int i) { return __uint_as_float((unsigned)i); }
// The host build uses -ffp-contract=off, so plain operators round each step.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline float __double2float_rn(double a) { return (float)a; }
inline double __hiloint2double(int hi, int lo) {
    const unsigned long long u = (unsigned long long)(unsigned)hi << 32 | (unsigned)lo;
    double d;
    std::memcpy(&d, &u, 8);
    return d;
}
