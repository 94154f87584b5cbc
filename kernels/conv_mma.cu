// conv_mma.cu: the implicit-GEMM convolution of conv.cu on tensor cores, in TF32 or BF16, with
// float32 accumulation and the same fused epilogue:
//
//   Out_k[b][m][p] = ReLU?( Σ_r rnd(W'_k[m][r]) · rnd(X_k[r][(b,p)]) + ( b'_k[m] + Res_k[b][m][p] ) )
//
// where rnd rounds a float32 to TF32 (10-bit mantissa, round to nearest, ties away: cvt.rna)
// or to BF16 (7-bit mantissa, round to nearest even), and the sum is accumulated in float32 by
// mma.sync: m16n8k8 for TF32 and m16n8k16 for BF16 (PTX ISA "Warp-level matrix multiply", the
// fragment layouts quoted at a_frag/b_frag). Operands stay float32 in memory and in shared
// memory; they are rounded as fragments are built, so both precisions share every loader.
// Activations (In, Res, Out) are float32 for tf32 and bf16 (bf16s, common.cuh) for bf16: the bf16
// kernels widen them as they load and round the output once as they store it.
//
// Grid as conv.cu: x over output-pixel tiles of BN = 128, y over channel tiles of BM, z over
// weight sets. 128 threads = 4 warps as WM×WN; each warp owns MT m16 tiles × NT n8 tiles.
#include "conv_tile.cuh"

namespace conv_mma_impl {

constexpr int BN = 128, BK = 16, THREADS = 128;
constexpr int APAD = 4, BPAD = 8; // row padding (floats) that spreads fragment reads over banks

__device__ __forceinline__ unsigned to_tf32(float x) {
#ifdef LS_EMULATE
    return emu_tf32(x);
#else
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
#endif
}

// to_bf16x2 packs two floats as BF16 (round to nearest even; NaN stays NaN), lo in bits 0-15.
__device__ __forceinline__ unsigned to_bf16x2(float lo, float hi) {
    auto one = [](float x) -> unsigned {
        unsigned u = __float_as_uint(x);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u; // quiet NaN
        return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    };
    return one(lo) | (one(hi) << 16);
}


// fetch_tile loads this thread's share of the tile at reduction offset r0 into registers: A rows
// a_m + 8j at depth a_k (a_k = tid%16, a_m = tid/16), B column tid (the pixel col) at every depth,
// so that the next tile's global loads overlap this tile's MMAs.
template <int A_PER, int B_PER, typename A>
__device__ __forceinline__ void fetch_tile(const ConvShape<A> &s, const Column<A> &col, int m0, int a_m, int a_k, int r0,
                                           float (&a_next)[A_PER], float (&b_next)[B_PER]) {
#pragma unroll
    for (int j = 0; j < A_PER; j++) a_next[j] = weight_at(s, m0 + a_m + 8 * j, r0 + a_k);
#pragma unroll
    for (int i = 0; i < B_PER; i++) b_next[i] = im2col_at(s, col, r0 + i);
}

// put_tile stores the fetched tile into shared memory: As[m][kk] = W'[m0+m][r0+kk],
// Bs[kk][n] = X[r0+kk][n0+n].
template <int BM, int A_PER, int B_PER>
__device__ __forceinline__ void put_tile(float (&As)[BM][BK + APAD], float (&Bs)[BK][BN + BPAD], int a_m, int a_k, int tid,
                                         const float (&a_next)[A_PER], const float (&b_next)[B_PER]) {
#pragma unroll
    for (int j = 0; j < A_PER; j++) As[a_m + 8 * j][a_k] = a_next[j];
#pragma unroll
    for (int i = 0; i < B_PER; i++) Bs[i][tid] = b_next[i];
}

// mma_step multiplies one BK-deep tile into a warp's accumulators, rounding each operand as its
// fragment is built. m16n8k16 .bf16: a[0] = A[g][2t,2t+1], a[1] = A[g+8][2t,2t+1],
// a[2] = A[g][2t+8,2t+9], a[3] = A[g+8][2t+8,2t+9]; b[0] = B[2t,2t+1][g], b[1] = B[2t+8,2t+9][g];
// low half first. m16n8k8 .tf32 (two steps): a[0] = A[g][t], a[1] = A[g+8][t], a[2] = A[g][t+4],
// a[3] = A[g+8][t+4]; b[0] = B[t][g], b[1] = B[t+4][g].
template <bool BF16, int BM, int MT, int NT>
__device__ __forceinline__ void mma_step(float (&acc)[MT][NT][4], const float (&As)[BM][BK + APAD], const float (&Bs)[BK][BN + BPAD],
                                         int wm, int wn, int g, int t) {
    if constexpr (BF16) {
        unsigned a[MT][4], b[NT][2];
#pragma unroll
        for (int i = 0; i < MT; i++) {
            const int r = wm + i * 16 + g;
            a[i][0] = to_bf16x2(As[r][2 * t], As[r][2 * t + 1]);
            a[i][1] = to_bf16x2(As[r + 8][2 * t], As[r + 8][2 * t + 1]);
            a[i][2] = to_bf16x2(As[r][2 * t + 8], As[r][2 * t + 9]);
            a[i][3] = to_bf16x2(As[r + 8][2 * t + 8], As[r + 8][2 * t + 9]);
        }
#pragma unroll
        for (int j = 0; j < NT; j++) {
            const int c = wn + j * 8 + g;
            b[j][0] = to_bf16x2(Bs[2 * t][c], Bs[2 * t + 1][c]);
            b[j][1] = to_bf16x2(Bs[2 * t + 8][c], Bs[2 * t + 9][c]);
        }
        mma_tiles<true>(acc, a, b);
    } else {
#pragma unroll
        for (int ks = 0; ks < BK; ks += 8) {
            unsigned a[MT][4], b[NT][2];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                const int r = wm + i * 16 + g;
                a[i][0] = to_tf32(As[r][ks + t]);
                a[i][1] = to_tf32(As[r + 8][ks + t]);
                a[i][2] = to_tf32(As[r][ks + t + 4]);
                a[i][3] = to_tf32(As[r + 8][ks + t + 4]);
            }
#pragma unroll
            for (int j = 0; j < NT; j++) {
                const int c = wn + j * 8 + g;
                b[j][0] = to_tf32(Bs[ks + t][c]);
                b[j][1] = to_tf32(Bs[ks + t + 4][c]);
            }
            mma_tiles<false>(acc, a, b);
        }
    }
}

// store_acc writes a warp's accumulators by store_out's formula. Accumulator layout:
// d[0] = D[g][2t], d[1] = D[g][2t+1], d[2] = D[g+8][2t], d[3] = D[g+8][2t+1].
template <int MT, int NT, typename A>
__device__ __forceinline__ void store_acc(const ConvShape<A> &s, int mw, int nw, int g, int t, const float (&acc)[MT][NT][4]) {
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT; j++) {
            const int m = mw + i * 16 + g, n = nw + j * 8 + 2 * t;
            store_out(s, m, n, acc[i][j][0]);
            store_out(s, m, n + 1, acc[i][j][1]);
            store_out(s, m + 8, n, acc[i][j][2]);
            store_out(s, m + 8, n + 1, acc[i][j][3]);
        }
}

// A: the activation type, bf16s for the bf16 kernels, float for the bf16f ones (imported graphs).
template <int BM, bool BF16, typename A = ActType<BF16>> __device__ __forceinline__ void conv_mma(CONV_PARAMS) {
    typedef WarpTile<BM, BN> WT;
    constexpr int A_PER = BM * BK / THREADS, B_PER = BK * BN / THREADS;
    __shared__ float As[BM][BK + APAD]; // As[m][kk] = W'[m0+m][r0+kk]
    __shared__ float Bs[BK][BN + BPAD]; // Bs[kk][n] = X[r0+kk][n0+n]

    const ConvShape<A> s = conv_shape<A>(CONV_ARGS);
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int g = lane / 4, t = lane % 4; // PTX's groupID and threadID_in_group
    const int wm = (warp / WT::WN) * WT::MT * 16, wn = (warp % WT::WN) * WT::NT * 8;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    // Loader roles: A rows tid/16 + 8j at depth tid%16; B column tid at every depth.
    const int a_k = tid % 16, a_m = tid / 16;
    const Column<A> col = column_of(s, n0 + tid);
    float a_next[A_PER], b_next[B_PER];

    float acc[WT::MT][WT::NT][4];
    zero_acc(acc);
    for (int r0 = 0; r0 < s.R; r0 += BK) {
        if (r0 == 0) fetch_tile(s, col, m0, a_m, a_k, 0, a_next, b_next);
        put_tile(As, Bs, a_m, a_k, tid, a_next, b_next);
        __syncthreads();
        if (r0 + BK < s.R) fetch_tile(s, col, m0, a_m, a_k, r0 + BK, a_next, b_next); // the next tile, while this one is multiplied
        mma_step<BF16>(acc, As, Bs, wm, wn, g, t);
        __syncthreads();
    }
    store_acc(s, m0 + wm, n0 + wn, g, t, acc);
}

} // namespace conv_mma_impl
using namespace conv_mma_impl;

// Entry points: precision × row-tile height (the host picks the smallest BM ≥ Cout, 64 beyond).
LS_KERNEL void __launch_bounds__(THREADS) conv_tf32_bm16(CONV_PARAMS) { conv_mma<16, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_tf32_bm32(CONV_PARAMS) { conv_mma<32, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_tf32_bm64(CONV_PARAMS) { conv_mma<64, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16_bm16(CONV_PARAMS) { conv_mma<16, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16_bm32(CONV_PARAMS) { conv_mma<32, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16_bm64(CONV_PARAMS) { conv_mma<64, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16f_bm16(CONV_PARAMS) { conv_mma<16, true, float>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16f_bm32(CONV_PARAMS) { conv_mma<32, true, float>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_bf16f_bm64(CONV_PARAMS) { conv_mma<64, true, float>(CONV_ARGS); }
