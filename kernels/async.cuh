// async.cuh: the Ampere instructions of the fast kernels (conv_fast.cu), as inline PTX on the
// device and as models of the PTX ISA's text on the host emulator (emu/emu.cpp):
//
//   cp.async (PTX ISA, "Data Movement and Conversion Instructions: cp.async"): copies cp-size
//       bytes from global to shared memory asynchronously; with src-size < cp-size only src-size
//       bytes are read and the rest of the destination is filled with zeros (src-size 0: zeros,
//       nothing read). cp.async.commit_group closes the thread's pending copies into a group;
//       cp.async.wait_group N waits until at most the N most recent groups are pending.
//   ldmatrix.sync.aligned.m8n8.x4.shared.b16 (PTX ISA, "Warp-level matrix load instruction:
//       ldmatrix"): four 8x8 matrices of 16-bit elements; lane 8q+r gives the address of row r of
//       matrix q (16 bytes), and lane l receives, in register q, the 32-bit word l%4 of row l/4 of
//       matrix q. Used here on 32-bit data: a row is then 4 words, and lane l gets word l%4.
//   cvt.rn.bf16x2.f32 d, a, b (PTX ISA, "Conversion Instructions: cvt"): a and b rounded to
//       bf16 (nearest even), "the value converted from input a is stored in the upper half of d
//       and the value converted from input b is stored in the lower half of d".
//   cvt.rna.tf32.f32: round to tf32 (10-bit mantissa), nearest, ties away from zero.
#pragma once
#include "common.cuh"

// cp_async4 copies 4 bytes from src to dst (shared memory), or writes zeros when !valid.
__device__ __forceinline__ void cp_async4(void *dst, const void *src, bool valid) {
#ifdef LS_EMULATE
    emu_cp_async(dst, src, 4, valid ? 4 : 0);
#else
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(s), "l"(src), "r"(valid ? 4 : 0));
#endif
}

// cp_async16 copies 16 bytes (both addresses 16-byte aligned), or writes zeros when !valid.
__device__ __forceinline__ void cp_async16(void *dst, const void *src, bool valid) {
#ifdef LS_EMULATE
    emu_cp_async(dst, src, 16, valid ? 16 : 0);
#else
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(s), "l"(src), "r"(valid ? 16 : 0));
#endif
}

__device__ __forceinline__ void cp_async_commit() {
#ifdef LS_EMULATE
    emu_cp_async_commit();
#else
    asm volatile("cp.async.commit_group;");
#endif
}

template <int N> __device__ __forceinline__ void cp_async_wait() {
#ifdef LS_EMULATE
    emu_cp_async_wait(N);
#else
    asm volatile("cp.async.wait_group %0;" ::"n"(N));
#endif
}

// ldmatrix_x4: r[q] = word (lane%4) of row (lane/4) of matrix q, whose row r the lane 8q+r points at.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void *row) {
#ifdef LS_EMULATE
    emu_ldmatrix_x4(r, row);
#else
    unsigned s = (unsigned)__cvta_generic_to_shared(row);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s));
#endif
}

// cvt_bf16x2 packs rn(lo) in bits 0-15 and rn(hi) in bits 16-31.
__device__ __forceinline__ unsigned cvt_bf16x2(float lo, float hi) {
#ifdef LS_EMULATE
    return emu_cvt_bf16x2(hi, lo);
#else
    unsigned d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
#endif
}

__device__ __forceinline__ unsigned cvt_tf32(unsigned x) {
#ifdef LS_EMULATE
    return emu_tf32(__uint_as_float(x));
#else
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(__uint_as_float(x)));
    return r;
#endif
}

