// conv.cu: fp32 implicit-GEMM convolution (and linear layer) over K weight sets at once, with
// the fused epilogue of the folded network:
//
//   Out_k[b][m][oh][ow] = ReLU?( Σ_{ci,kh,kw} W'_k[m][ci][kh][kw] · In_k[b][ci][oh·s+kh−p][ow·s+kw−p]
//                                + ( b'_k[m] + Res_k[b][m][oh][ow] ) )
//
// for 3x3 (pad 1) and 1x1 (pad 0) kernels at stride 1 or 2, and for linear layers
// (H = W = KS = 1). Grid: x over output pixels (b, oh, ow) in tiles of BN = 128, y over output
// channels in tiles of BM, z over the K weight sets. 256 threads as 16×16, each accumulating
// a TM×8 register block (rows ty + 16i, columns tx + 16j, so that stores are coalesced) from
// BK = 16-deep tiles of W' and of the gathered input in shared memory; the next tile is fetched
// into registers while the current one is multiplied. BM ∈ {16, 32, 64} matches the narrow
// layers of CIFAR ResNets (16/32/64 channels) without idle rows.
#include "conv_tile.cuh"

namespace conv_f32_impl {

constexpr int BN = 128, BK = 16, THREADS = 256;

template <int BM> __device__ __forceinline__ void conv_f32(CONV_PARAMS) {
    constexpr int TM = BM / 16, TN = BN / 16;
    constexpr int A_PER = BM * BK / THREADS, B_PER = BK * BN / THREADS;
    __shared__ float As[BK][BM + 1]; // As[kk][m] = W'[m0+m][r0+kk]; +1 spreads the stores over banks
    __shared__ float Bs[BK][BN];     // Bs[kk][n] = X[r0+kk][n0+n]

    ConvShape<float> s = conv_shape<float>(CONV_ARGS);
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    // Loader roles: A row m = ty + 16j at depth tx; B column n0 + (tid % BN) at depths tid/BN + 2i.
    const int b_col = tid % BN, b_row = tid / BN;
    const Column<float> col = column_of(s, n0 + b_col);
    float a_next[A_PER], b_next[B_PER];
    auto fetch = [&](int r0) {
        #pragma unroll
        for (int j = 0; j < A_PER; j++) a_next[j] = weight_at(s, m0 + ty + 16 * j, r0 + tx);
        #pragma unroll
        for (int i = 0; i < B_PER; i++) b_next[i] = im2col_at(s, col, r0 + b_row + 2 * i);
    };
    auto stash = [&]() {
        #pragma unroll
        for (int j = 0; j < A_PER; j++) As[tx][ty + 16 * j] = a_next[j];
        #pragma unroll
        for (int i = 0; i < B_PER; i++) Bs[b_row + 2 * i][b_col] = b_next[i];
    };

    float acc[TM][TN];
    #pragma unroll
    for (int i = 0; i < TM; i++)
        #pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

    fetch(0);
    stash();
    __syncthreads();
    for (int r0 = 0; r0 < s.R; r0 += BK) {
        const bool more = r0 + BK < s.R;
        if (more) fetch(r0 + BK);
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
            #pragma unroll
            for (int i = 0; i < TM; i++) a[i] = As[kk][ty + 16 * i];
            #pragma unroll
            for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx + 16 * j];
            #pragma unroll
            for (int i = 0; i < TM; i++)
                #pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
        if (more) {
            stash();
            __syncthreads();
        }
    }
    #pragma unroll
    for (int i = 0; i < TM; i++)
        #pragma unroll
        for (int j = 0; j < TN; j++) store_out(s, m0 + ty + 16 * i, n0 + tx + 16 * j, acc[i][j]);
}

} // namespace conv_f32_impl
using namespace conv_f32_impl;

// Entry points, one per row-tile height: the host picks the smallest BM ≥ Cout (64 beyond).
LS_KERNEL void __launch_bounds__(THREADS) conv_f32_bm16(CONV_PARAMS) { conv_f32<16>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_f32_bm32(CONV_PARAMS) { conv_f32<32>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(THREADS) conv_f32_bm64(CONV_PARAMS) { conv_f32<64>(CONV_ARGS); }
