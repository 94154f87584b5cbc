// bmm.cu: the product of two activations of a vision transformer (attention's Q·Kᵀ and A·V),
// batched over K weight sets, B images, `heads` heads (channel groups) and W = `windows` pixel
// groups (Swin's windows; 1 for a ViT) (model.OpMatMul, model/onnx_attn.go):
//
//   Out_kbgw[i][j] = Σ_{l<Kd} rnd(op(P_kbgw)[i][l]) · rnd(A_kbgw[l][j])     i < N, j < M
//
//   A_kbgw[l][j]  = a[k·a_set_stride + ((b·heads + g)·Kd + l)·M·W + w·M + j]      (In: Kd channels × M·W pixels)
//   op(P)[i][l]   = p[k·p_set_stride + ((b·heads + g)·N + i)·Kd·W + w·Kd + l]     (In2 [N][Kd·W], trans = 0)
//                 = p[k·p_set_stride + ((b·heads + g)·Kd + l)·N·W + w·N + i]      (In2 [Kd][N·W] read transposed, trans = 1)
//   Out[k][b][g·N + i][w·M + j], [K][B][heads·N][M·W] tight
//
// For Q·Kᵀ, A = Q (Kd = head width, M = queries), P = K transposed (N = keys); for A·V, A = the
// attention weights (Kd = keys, M = queries), P = V (N = head width). rnd is the identity in
// matmul_heads (fp32: one FMA chain per output in l order, one thread per output, grid-stride)
// and the operand rounding of the tensor cores in the MMA kernels, with float32 accumulation:
//
//   matmul_heads_tf32  mma.sync m16n8k8, operands cvt.rna.tf32 (nearest, ties away)
//   matmul_heads_bf16  mma.sync m16n8k16, operands cvt.rn.bf16x2 (nearest even)
//
// A block of 4 warps computes one 64 × 64 tile of one (k, b, g) product (rows i, columns j),
// each warp 32 × 32 (2 m16 × 4 n8 tiles), in K-steps of 16: the block's operands are copied to
// shared memory once per step (coalesced, rounded or packed once, zero outside the matrices,
// so any N, M, Kd run), A fragments read by ldmatrix (conv_tile.cuh's ldmatrix_a), B fragments
// as two words of a row. Grid: x over (image·head·window, tile of i, tile of j), z over the K sets.
// The fragment layouts are PTX's (conv_tile.cuh: mma_tf32_16x8x8, mma_bf16_16x8x16).
#include "conv_tile.cuh"

#define BMM_PARAMS                                                                                    \
    const float *__restrict__ a, i64 a_set_stride, const float *__restrict__ p, i64 p_set_stride,   \
        float *__restrict__ out, int B, int heads, int M, int N, int Kd, int trans, int windows

LS_KERNEL void matmul_heads(BMM_PARAMS) {
    const int k = blockIdx.z, MW = M * windows;
    const i64 n = (i64)B * heads * N * MW;
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < n; o += (i64)gridDim.x * blockDim.x) {
        const i64 bg = o / ((i64)N * MW);
        const int i = (int)(o / MW % N), jw = (int)(o % MW), w = jw / M;
        const float *ag = a + k * a_set_stride + bg * Kd * MW + jw;
        const float *pg = p + k * p_set_stride + bg * N * Kd * windows + w * (trans ? N : Kd);
        float s = 0.f;
        for (int l = 0; l < Kd; l++)
            s = fmaf(trans ? pg[(i64)l * N * windows + i] : pg[(i64)i * Kd * windows + l], ag[(i64)l * MW], s);
        out[k * n + o] = s;
    }
}

namespace bmm_impl {

constexpr int BI = 64, BJ = 64, BK = 16, THREADS = 128; // block tile: 64 rows i × 64 columns j, 16 deep
constexpr int MT = 2, NT = 4;                           // warp tile (2 × 2 warps): 32 × 32, m16 × n8 tiles

// Tiles<BF16> holds one K-step of a block's operands in shared memory, rounded once as they are
// stored: p[i][w] = op(P)[i0 + i][l0 + w] (tf32 bit patterns), or the bf16 pair of l0 + 2w and
// l0 + 2w + 1 (low half the first); a[j][w] = A[l0 + w][j0 + j] likewise, stored transposed so
// that a lane's B fragment is two words of one row. Rows padded to W words (a multiple of 4:
// 16-byte rows for ldmatrix; 20 and 12 words spread a fragment's 8 rows × 4 words over all 32
// banks).
template <bool BF16> struct Tiles {
    static constexpr int WORDS = BF16 ? BK / 2 : BK, W = WORDS + 4;
    unsigned p[BI][W], a[BJ][W];
};

// word rounds one operand (tf32) or packs two (bf16) as the tensor cores take them.
__device__ __forceinline__ unsigned word(float lo, float hi, bool bf16) {
    return bf16 ? cvt_bf16x2(lo, hi) : cvt_tf32(__float_as_uint(lo));
}

// fill stores R words of a tile, rows row0 + r·DROW and words w0 + r·DW (r < R), from the
// matrix at base whose element (row, l) lies at row·srow + l·sl (l = word·PER + half), zero at
// rows ≥ rows and l ≥ ls (past the matrix): the cooperative copy of one K-step, each thread's
// words fixed by its index, so word r lies step = DROW·srow + DW·PER·sl after word r − 1 (one
// multiply-add per word in the loop).
template <bool BF16, int R, int DROW, int DW, int W>
__device__ __forceinline__ void fill(unsigned (&tile)[64][W], int row0, int w0, const float *base, int srow, int sl,
                                     int rows, int ls) {
    constexpr int PER = BF16 ? 2 : 1;
    const float *q0 = base + row0 * srow + w0 * PER * sl;
    const int step = DROW * srow + DW * PER * sl;
#pragma unroll
    for (int r = 0; r < R; r++) {
        const int row = row0 + r * DROW, w = w0 + r * DW, l = w * PER;
        const float *q = q0 + r * step;
        const bool in = row < rows;
        const float lo = in && l < ls ? q[0] : 0.f;
        const float hi = BF16 && in && l + 1 < ls ? q[sl] : 0.f;
        tile[row][w] = word(lo, hi, BF16);
    }
}

// load_tiles stores the block's operands of the K-step at l0 into s: consecutive threads read
// consecutive addresses of P's rows (of its columns when TRANS) and of A's rows. pg and ag
// point at the block's first row of op(P) and column of A; lda and ldp are the row strides of
// A and of P in memory (M·W, and Kd·W or N·W).
template <bool BF16, bool TRANS>
__device__ __forceinline__ void load_tiles(Tiles<BF16> &s, const float *pg, const float *ag, int l0, int rows_i,
                                           int cols_j, int lda, int ldp, int Kd) {
    constexpr int WORDS = Tiles<BF16>::WORDS, SPAN = THREADS / BI; // SPAN: 2 words per pass
    const int tid = threadIdx.x, ls = Kd - l0;
    if (TRANS) // op(P)[i][l] = P[l][i]: rows i along memory
        fill<BF16, WORDS / SPAN, 0, SPAN>(s.p, tid % BI, tid / BI, pg + (i64)l0 * ldp, 1, ldp, rows_i, ls);
    else // consecutive threads: consecutive words of a row
        fill<BF16, BI * WORDS / THREADS, THREADS / WORDS, 0>(s.p, tid / WORDS, tid % WORDS, pg + l0, ldp, 1, rows_i, ls);
    fill<BF16, WORDS / SPAN, 0, SPAN>(s.a, tid % BJ, tid / BJ, ag + (i64)l0 * lda, 1, lda, cols_j, ls);
}

// bmm_mma is the kernel's body, TRANS the value of trans (one loop without a branch each), s
// the kernel's shared tiles.
template <bool BF16, bool TRANS> __device__ __forceinline__ void bmm_mma(Tiles<BF16> &s, BMM_PARAMS) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, g = lane / 4, t = lane % 4;
    const int tiles_i = (N + BI - 1) / BI, tiles_j = (M + BJ - 1) / BJ;
    const int k = blockIdx.z, lda = M * windows, ldp = (TRANS ? N : Kd) * windows;
    const i64 bgw = blockIdx.x / (tiles_i * tiles_j), bg = bgw / windows, w = bgw % windows;
    const int i0 = blockIdx.x / tiles_j % tiles_i * BI, j0 = blockIdx.x % tiles_j * BJ;
    const int wi = warp / 2 * 32, wj = warp % 2 * 32; // the warp's rows and columns in the block tile
    const float *pg = p + k * p_set_stride + bg * N * Kd * windows + w * (TRANS ? N : Kd) +
                      (TRANS ? i0 : (i64)i0 * ldp);                // op(P)'s row i0
    const float *ag = a + k * a_set_stride + bg * Kd * lda + w * M + j0; // A's column j0
    float acc[MT][NT][4];
    zero_acc(acc);
    for (int l0 = 0; l0 < Kd; l0 += BK) {
        __syncthreads(); // the previous step's fragments are read
        load_tiles<BF16, TRANS>(s, pg, ag, l0, N - i0, M - j0, lda, ldp, Kd);
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < Tiles<BF16>::WORDS; ks += 8) { // tf32: two k8 steps; bf16: one k16 step
            unsigned fa[MT][4], fb[NT][2];
            ldmatrix_a(fa, s.p, wi, ks, lane);
#pragma unroll
            for (int jt = 0; jt < NT; jt++) {
                const unsigned *row = s.a[wj + 8 * jt + g];
                fb[jt][0] = row[ks + t], fb[jt][1] = row[ks + t + 4];
            }
            mma_tiles<BF16>(acc, fa, fb);
        }
    }
    // d[0..3] = D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1] of each m16n8 tile
    float *o = out + (i64)k * B * heads * N * lda + bg * N * lda + w * M;
#pragma unroll
    for (int it = 0; it < MT; it++)
#pragma unroll
        for (int jt = 0; jt < NT; jt++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                const int i = i0 + wi + 16 * it + g + 8 * (c / 2), j = j0 + wj + 8 * jt + 2 * t + c % 2;
                if (i < N && j < M) o[(i64)i * lda + j] = acc[it][jt][c];
            }
}

} // namespace bmm_impl

LS_KERNEL void __launch_bounds__(128) matmul_heads_tf32(BMM_PARAMS) {
    __shared__ __align__(16) bmm_impl::Tiles<false> s;
    if (trans)
        bmm_impl::bmm_mma<false, true>(s, a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans, windows);
    else
        bmm_impl::bmm_mma<false, false>(s, a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans, windows);
}

LS_KERNEL void __launch_bounds__(128) matmul_heads_bf16(BMM_PARAMS) {
    __shared__ __align__(16) bmm_impl::Tiles<true> s;
    if (trans)
        bmm_impl::bmm_mma<true, true>(s, a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans, windows);
    else
        bmm_impl::bmm_mma<true, false>(s, a, a_set_stride, p, p_set_stride, out, B, heads, M, N, Kd, trans, windows);
}
