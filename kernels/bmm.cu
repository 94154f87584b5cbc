// bmm.cu: the product of two activations of a vision transformer (attention's Q·Kᵀ and A·V),
// batched over K weight sets, B images and `heads` heads, the heads being channel groups
// (model.OpMatMul, model/onnx_attn.go):
//
//   Out_kbg[i][j] = Σ_{l<Kd} rnd(op(P_kbg)[i][l]) · rnd(A_kbg[l][j])        i < N, j < M
//
//   A_kbg[l][j]   = a[k·a_set_stride + ((b·heads + g)·Kd + l)·M + j]          (In: Kd channels × M pixels)
//   op(P)[i][l]   = p[k·p_set_stride + ((b·heads + g)·N + i)·Kd + l]          (In2 [N][Kd], trans = 0)
//                 = p[k·p_set_stride + ((b·heads + g)·Kd + l)·N + i]          (In2 [Kd][N] read transposed, trans = 1)
//   Out           [K][B][heads·N][M], tight
//
// For Q·Kᵀ, A = Q (Kd = head width, M = queries), P = K transposed (N = keys); for A·V, A = the
// attention weights (Kd = keys, M = queries), P = V (N = head width). rnd is the identity in
// matmul_heads (fp32: one FMA chain per output in l order, one thread per output, grid-stride)
// and the operand rounding of the tensor cores in the MMA kernels, with float32 accumulation:
//
//   matmul_heads_tf32  mma.sync m16n8k8, operands cvt.rna.tf32 (nearest, ties away)
//   matmul_heads_bf16  mma.sync m16n8k16, operands cvt.rn.bf16x2 (nearest even)
//
// Each warp computes one 16 × 32 tile of one (k, b, g) product (rows i, columns j; 4 n8 tiles)
// from fragments loaded straight from global memory (the operands of one head are a few KB and
// stay in L1/L2; zero outside the matrices, so any N, M, Kd run), K-steps of 8 (tf32) or 16
// (bf16). Grid: x over the warps' tiles (4 warps of 128 threads per block), z over the K sets.
// The fragment layouts are PTX's (conv_tile.cuh: mma_tf32_16x8x8, mma_bf16_16x8x16).
#include "conv_tile.cuh"

#define BMM_PARAMS                                                                                    \
    const float *__restrict__ a, i64 a_set_stride, const float *__restrict__ p, i64 p_set_stride,   \
        float *__restrict__ out, int B, int heads, int M, int N, int Kd, int trans

LS_KERNEL void matmul_heads(BMM_PARAMS) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * heads * N * M;
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < n; o += (i64)gridDim.x * blockDim.x) {
        const i64 bg = o / ((i64)N * M);
        const int i = (int)(o / M % N), j = (int)(o % M);
        const float *ag = a + k * a_set_stride + bg * Kd * M + j;
        const float *pg = p + k * p_set_stride + bg * N * Kd;
        float s = 0.f;
        for (int l = 0; l < Kd; l++)
            s = fmaf(trans ? pg[(i64)l * N + i] : pg[(i64)i * Kd + l], ag[(i64)l * M], s);
        out[k * n + o] = s;
    }
}

namespace bmm_impl {

constexpr int TM = 16, NT = 4, TN = 8 * NT; // a warp's tile: 16 rows i × 32 columns j

// Operands of one (k, b, g) product, zero outside the matrices.
struct Head {
    const float *a, *p;
    int M, N, Kd, trans;
    __device__ __forceinline__ float at(int l, int j) const { // A[l][j]
        return l < Kd && j < M ? a[(i64)l * M + j] : 0.f;
    }
    __device__ __forceinline__ float op(int i, int l) const { // op(P)[i][l]
        if (i >= N || l >= Kd) return 0.f;
        return trans ? p[(i64)l * N + i] : p[(i64)i * Kd + l];
    }
};

template <bool BF16> __device__ __forceinline__ void bmm_mma(BMM_PARAMS) {
    const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int tiles_i = (N + TM - 1) / TM, tiles_j = (M + TN - 1) / TN;
    const i64 warp = (i64)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (warp >= (i64)B * heads * tiles_i * tiles_j) return; // the whole warp: no lane is left in an mma
    const int k = blockIdx.z;
    const i64 bg = warp / ((i64)tiles_i * tiles_j);
    const int i0 = (int)(warp / tiles_j % tiles_i) * TM, j0 = (int)(warp % tiles_j) * TN;
    const Head h{a + k * a_set_stride + bg * Kd * M, p + k * p_set_stride + bg * N * Kd, M, N, Kd, trans};
    float acc[1][NT][4];
    zero_acc(acc);
    constexpr int KS = BF16 ? 16 : 8;
    for (int l0 = 0; l0 < Kd; l0 += KS) {
        unsigned fa[1][4], fb[NT][2];
        if (BF16) {
            const int l = l0 + 2 * t;
            fa[0][0] = cvt_bf16x2(h.op(i0 + g, l), h.op(i0 + g, l + 1));
            fa[0][1] = cvt_bf16x2(h.op(i0 + g + 8, l), h.op(i0 + g + 8, l + 1));
            fa[0][2] = cvt_bf16x2(h.op(i0 + g, l + 8), h.op(i0 + g, l + 9));
            fa[0][3] = cvt_bf16x2(h.op(i0 + g + 8, l + 8), h.op(i0 + g + 8, l + 9));
#pragma unroll
            for (int jt = 0; jt < NT; jt++) {
                const int j = j0 + 8 * jt + g;
                fb[jt][0] = cvt_bf16x2(h.at(l, j), h.at(l + 1, j));
                fb[jt][1] = cvt_bf16x2(h.at(l + 8, j), h.at(l + 9, j));
            }
        } else {
            const int l = l0 + t;
            fa[0][0] = cvt_tf32(__float_as_uint(h.op(i0 + g, l)));
            fa[0][1] = cvt_tf32(__float_as_uint(h.op(i0 + g + 8, l)));
            fa[0][2] = cvt_tf32(__float_as_uint(h.op(i0 + g, l + 4)));
            fa[0][3] = cvt_tf32(__float_as_uint(h.op(i0 + g + 8, l + 4)));
#pragma unroll
            for (int jt = 0; jt < NT; jt++) {
                const int j = j0 + 8 * jt + g;
                fb[jt][0] = cvt_tf32(__float_as_uint(h.at(l, j)));
                fb[jt][1] = cvt_tf32(__float_as_uint(h.at(l + 4, j)));
            }
        }
        mma_tiles<BF16>(acc, fa, fb);
    }
    // d[0..3] = D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1] of each n8 tile
    float *o = out + (i64)k * B * heads * N * M + bg * N * M;
#pragma unroll
    for (int jt = 0; jt < NT; jt++)
#pragma unroll
        for (int c = 0; c < 4; c++) {
            const int i = i0 + g + 8 * (c / 2), j = j0 + 8 * jt + 2 * t + c % 2;
            if (i < N && j < M) o[(i64)i * M + j] = acc[0][jt][c];
        }
}

} // namespace bmm_impl

LS_KERNEL void __launch_bounds__(128) matmul_heads_tf32(BMM_PARAMS) {
    bmm_impl::bmm_mma<false>(a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans);
}

LS_KERNEL void __launch_bounds__(128) matmul_heads_bf16(BMM_PARAMS) {
    bmm_impl::bmm_mma<true>(a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans);
}
