// conv_fast.cu: the convolutions of conv.cu and conv_mma.cu (same GEMM, same fused epilogue, same
// parameters, same grid) with the reduction reordered tap-major, so that the gather costs a few
// instructions per element instead of about 25:
//
//   Out_k[b][m][p] = ReLU?( Σ_{tap=(kh,kw)} Σ_ci Wt_k[m][tap][ci] · In_k[b][ci][oh·s+kh−p][ow·s+kw−p]
//                           + ( b'_k[m] + Res_k[b][m][p] ) )
//
// Wt is W' with its reduction reordered: Wt[m][tap·Cin + ci] = W'[m][ci·KS·KS + tap] (fold_weights
// writes it so for the layers the engine runs here, table field F_TAPS). Each reduction tile is
// one tap × BK = 16 channels (channels past Cin are zeros), so:
//   - each thread decodes its output pixel (b, oh, ow) once per block and bounds-checks it once
//     per tile (not per element); the taps table is not read (the parameter stays for the shared
//     signature);
//   - the tiles go global → shared memory by cp.async (4 bytes per activation: NCHW puts a
//     pixel's channels H·W apart; 16 bytes per 4 weights when Cin % 4 == 0), zero-filled where out
//     of bounds, in a STAGES-deep pipeline: the copies of tile t+2 run while tile t is multiplied;
//   - tf32: fragments by ldmatrix (32-bit elements: lane l gets word l%4 of row l/4, exactly the
//     m16n8k8 .tf32 A and B layouts when A is stored [m][k] and B [n][k]), rounded with cvt.rna;
//   - bf16: fragments as float pairs (one 8-byte shared load) rounded and packed by one
//     cvt.rn.bf16x2.f32 (the reference kernels' 8-instruction software rounding, once per pair);
//   - fp32: the 16x16 threads read B as float4 (4 adjacent pixels), so each k step is 2 + TM
//     shared loads for 8·TM FFMA.
// Rounding: as conv_mma.cu (tf32 round-to-nearest ties away, bf16 nearest even), fp32 exact
// products; only the order of the float32 additions differs from the reference kernels.
// bf16: activations are bf16 in memory (bf16s, as conv_mma.cu); cp.async copies 4 bytes at least,
// so the bf16 kernels copy B synchronously (2 bytes each, kept bf16 in shared memory: a pixel's
// channel pair is one fragment register, no conversion) into the same pipeline stages (the stage
// barriers order those stores as they order the async copies). The bf16f kernels (float32
// activations, imported graphs) are the former bf16 kernels.
#include "async.cuh"
#include "conv_tile.cuh"

namespace conv_fast_impl {

constexpr int BN = 128, BK = 16, STAGES = 3, PAD = 4;

// Loader fills stage buffers tile after tile: A (BM×BK weights, [m][kk]) and B (BK×BN
// activations, [n][kk] for the tensor-core kernels, [kk][n] for fp32). Tiles go tap-major: tile
// (kh, kw, c0) holds channels c0 … c0+BK−1 of tap (kh, kw); the cursor walks them without
// divisions. Needs Cin % 4 == 0 and 16-byte aligned weight rows (the host checks both).
// BTile<A>::type is an element of the B tile in shared memory: float32, or for bf16 activations
// the bf16 itself (2 bytes, so that a k-pair of one pixel is the 32-bit mma fragment register).
template <typename A> struct BTile { typedef float type; };
template <> struct BTile<bf16s> { typedef unsigned short type; };

template <int BM, int THREADS, bool NK, typename A> struct Loader {
    typedef typename BTile<A>::type BT;
    // B row stride: bf16 rows of 24 halves (12 words) put the 8 rows × 4 words of a fragment
    // read in distinct banks.
    static constexpr int BSTRIDE = NK ? (sizeof(A) == 2 ? BK + 8 : BK + PAD) : BN + PAD;
    static constexpr int KSTEP = THREADS / BN;   // threads per pixel, each copying PER channels
    static constexpr int PER = BK / KSTEP;       // channels each thread copies per tile
    static constexpr int ACHUNKS = BM * BK / 4;  // 16-byte pieces of an A tile
    static constexpr int APER = (ACHUNKS + THREADS - 1) / THREADS;
    const ConvShape<A> &s;
    const A *img; // this thread's pixel's image, null past the last pixel
    int ih0, iw0, n, kk0, m0, HW;
    int c0, kh, kw; // the next tile

    __device__ __forceinline__ Loader(const ConvShape<A> &sh, int n0, int tid) : s(sh) {
        n = tid % BN, kk0 = KSTEP == 1 ? 0 : tid / BN, m0 = blockIdx.y * BM, HW = s.H * s.W;
        Column<A> c = column_of(s, n0 + n);
        img = c.img, ih0 = c.ih0, iw0 = c.iw0;
        c0 = kh = kw = 0;
    }

    __device__ __forceinline__ void load(float (*As)[BK + PAD], BT *Bs, int tid) {
        const int nch = s.Cin - c0; // channels of this block that exist (≥ BK: all)
        // B: one bounds check for the pixel, then PER copies H·W apart: this thread's channels
        // are kk0·PER … kk0·PER + PER − 1 of the block.
        const int ih = ih0 + kh, iw = iw0 + kw;
        const bool ok = img && ih >= 0 && ih < s.H && iw >= 0 && iw < s.W;
        const int lim = ok ? nch - kk0 * PER : 0; // copies j < lim are real, the rest zeros
        const A *src = (ok ? img + ih * s.W + iw : s.in) + (i64)(c0 + kk0 * PER) * HW;
        BT *dst = NK ? &Bs[n * BSTRIDE + kk0 * PER] : &Bs[kk0 * PER * BSTRIDE + n];
        if constexpr (sizeof(A) == 4) {
#pragma unroll
            for (int j = 0; j < PER; j++) cp_async4(dst + (NK ? j : j * BSTRIDE), src + (i64)j * HW, j < lim);
        } else { // bf16 activations (2 bytes, below cp.async's 4): copied here as they are, a
                 // channel pair (one 32-bit store: the [n][kk] layout, which bf16 always uses) at a time
            static_assert(NK && PER % 2 == 0, "bf16 B tiles are [n][kk]");
#pragma unroll
            for (int j = 0; j < PER; j += 2) {
                const unsigned lo = j < lim ? src[(i64)j * HW].bits : 0u, hi = j + 1 < lim ? src[(i64)(j + 1) * HW].bits : 0u;
                *(unsigned *)&dst[j] = lo | hi << 16;
            }
        }
        // A: Wt[m0+m][tap·Cin + c0 + kk], 4 channels per copy, zero past Cout or Cin.
        const float *wtap = s.w + (i64)(kh * s.KS + kw) * s.Cin + c0;
#pragma unroll
        for (int i = 0; i < APER; i++) {
            const int c = tid + i * THREADS;
            const int m = c / (BK / 4), kk = 4 * (c % (BK / 4));
            const bool v = (ACHUNKS % THREADS == 0 || c < ACHUNKS) && m0 + m < s.Cout && kk < nch;
            if (ACHUNKS % THREADS == 0 || c < ACHUNKS)
                cp_async16(&As[m][kk], v ? wtap + (i64)(m0 + m) * s.R + kk : s.w, v);
        }
        if ((c0 += BK) >= s.Cin) {
            c0 = 0;
            if (++kw == s.KS) kw = 0, kh++;
        }
    }
};

// pipeline runs the tiles through STAGES buffers: compute(stage) multiplies one resident tile.
template <typename L, typename BT, typename C>
__device__ __forceinline__ void pipeline(L &ld, int tiles, int tid, float (*As)[BK + PAD], BT *Bs, int a_stage,
                                         int b_stage, C compute) {
#pragma unroll
    for (int st = 0; st < STAGES - 1; st++) {
        if (st < tiles) ld.load(As + st * a_stage, Bs + st * b_stage, tid);
        cp_async_commit();
    }
    int cs = 0, ls = STAGES - 1; // the stage computed, the stage loaded
    for (int t = 0; t < tiles; t++) {
        cp_async_wait<STAGES - 2>(); // tile t has landed (this thread's copies) ...
        __syncthreads();             // ... and every thread's; stage ls (tile t−1's) is free
        if (t + STAGES - 1 < tiles) ld.load(As + ls * a_stage, Bs + ls * b_stage, tid);
        cp_async_commit();
        compute(cs);
        cs = cs == STAGES - 1 ? 0 : cs + 1;
        ls = ls == STAGES - 1 ? 0 : ls + 1;
    }
}

// tiles is the number of reduction tiles: KS·KS taps × ⌈Cin / BK⌉ channel blocks.
template <typename A> __device__ __forceinline__ int tiles_of(const ConvShape<A> &s) { return s.KS * s.KS * ((s.Cin + BK - 1) / BK); }

// A: the activation type, bf16s for the bf16 kernels, float for the bf16f ones (imported graphs).
template <int BM, bool BF16, typename A = ActType<BF16>> __device__ __forceinline__ void conv_fast_mma(CONV_PARAMS) {
    constexpr int THREADS = 128;
    typedef WarpTile<BM, BN> WT;
    constexpr int WN = WT::WN, MT = WT::MT, NT = WT::NT;
    constexpr int SB = BK + PAD;
    typedef Loader<BM, THREADS, true, A> L;
    constexpr int SBB = L::BSTRIDE;
    __shared__ __align__(16) float As[STAGES][BM][SB];                  // As[st][m][kk]
    __shared__ __align__(16) typename L::BT Bs[STAGES][BN][SBB]; // Bs[st][n][kk]

    ConvShape<A> s = conv_shape<A>(CONV_ARGS);
    s.R = s.Cin * s.KS * s.KS;
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int g = lane / 4, t4 = lane % 4;
    const int wm = (warp / WN) * MT * 16, wn = (warp % WN) * NT * 8;
    const int n0 = blockIdx.x * BN;
    L ld(s, n0, tid);
    const int tl = tiles_of(s);

    float acc[MT][NT][4];
    zero_acc(acc);

    pipeline(ld, tl, tid, As[0], &Bs[0][0][0], BM, BN * SBB, [&](int st) {
        if constexpr (BF16) {
            // m16n8k16: a[0] = A[g][2t,2t+1], a[1] = A[g+8][..], a[2] = A[g][2t+8,2t+9], a[3] = A[g+8][..];
            // b[0] = B[2t,2t+1][g] = Bs[g][2t..], b[1] = Bs[g][2t+8..]; lower k in bits 0-15.
            unsigned a[MT][4], b[NT][2];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                const float *r0 = &As[st][wm + i * 16 + g][2 * t4], *r8 = r0 + 8 * SB;
                const float2 x0 = *(const float2 *)r0, x1 = *(const float2 *)r8;
                const float2 x2 = *(const float2 *)(r0 + 8), x3 = *(const float2 *)(r8 + 8);
                a[i][0] = cvt_bf16x2(x0.x, x0.y);
                a[i][1] = cvt_bf16x2(x1.x, x1.y);
                a[i][2] = cvt_bf16x2(x2.x, x2.y);
                a[i][3] = cvt_bf16x2(x3.x, x3.y);
            }
#pragma unroll
            for (int j = 0; j < NT; j++) {
                if constexpr (sizeof(A) == 2) { // already bf16 pairs: the fragment registers as they lie
                    const unsigned short *c = &Bs[st][wn + j * 8 + g][2 * t4];
                    b[j][0] = *(const unsigned *)c, b[j][1] = *(const unsigned *)(c + 8);
                } else {
                    const float *c = &Bs[st][wn + j * 8 + g][2 * t4];
                    const float2 y0 = *(const float2 *)c, y1 = *(const float2 *)(c + 8);
                    b[j][0] = cvt_bf16x2(y0.x, y0.y);
                    b[j][1] = cvt_bf16x2(y1.x, y1.y);
                }
            }
            mma_tiles<true>(acc, a, b);
        } else {
#pragma unroll
            for (int ks = 0; ks < BK; ks += 8) {
                // m16n8k8 .tf32: a = {A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4]}: ldmatrix
                // matrices (rows 0-7 | 8-15) × (k 0-3 | 4-7), lane l pointing at row l%16, k (l/16)·4.
                // b = {B[t][g], B[t+4][g]} = {Bs[g][t], Bs[g][t+4]}: matrices (n 0-7, k 0-3),
                // (n 0-7, k 4-7), (n 8-15, k 0-3), (n 8-15, k 4-7) for two n8 tiles.
                unsigned a[MT][4], b[NT][2];
                ldmatrix_a(a, As[st], wm, ks, lane, [](unsigned x) { return cvt_tf32(x); });
#pragma unroll
                for (int j = 0; j < NT; j += 2) {
                    const int q = lane / 8;
                    unsigned r[4];
                    ldmatrix_x4(r, &Bs[st][wn + j * 8 + (q / 2) * 8 + lane % 8][ks + (q % 2) * 4]);
#pragma unroll
                    for (int c = 0; c < 4; c++) r[c] = cvt_tf32(r[c]);
                    split_b2(b, j, r);
                }
                mma_tiles<false>(acc, a, b);
            }
        }
    });
    const int m0 = blockIdx.y * BM;
    store_frags(s, m0 + wm, n0 + wn, g, t4, acc);
}

template <int BM> __device__ __forceinline__ void conv_fast_f32(CONV_PARAMS) {
    constexpr int THREADS = 256, TM = BM / 16;
    __shared__ __align__(16) float As[STAGES][BM][BK + PAD]; // As[st][m][kk]
    __shared__ __align__(16) float Bs[STAGES][BK][BN + PAD]; // Bs[st][kk][n]

    ConvShape<float> s = conv_shape<float>(CONV_ARGS);
    s.R = s.Cin * s.KS * s.KS;
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int n0 = blockIdx.x * BN;
    Loader<BM, THREADS, false, float> ld(s, n0, tid);
    const int tl = tiles_of(s);

    // Thread (tx, ty) owns rows ty + 16i and columns 4tx + 64j + c (c < 4): float4 loads of B.
    float acc[TM][8];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.f;

    pipeline(ld, tl, tid, As[0], &Bs[0][0][0], BM, BK * (BN + PAD), [&](int st) {
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            const float4 b0 = *(const float4 *)&Bs[st][kk][4 * tx], b1 = *(const float4 *)&Bs[st][kk][64 + 4 * tx];
            const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < TM; i++) {
                const float a = As[st][ty + 16 * i][kk];
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] += a * b[j];
            }
        }
    });
    const int m0 = blockIdx.y * BM;
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) store_out(s, m0 + ty + 16 * i, n0 + 4 * tx + 64 * (j / 4) + j % 4, acc[i][j]);
}

} // namespace conv_fast_impl
using namespace conv_fast_impl;

// Entry points: precision × row-tile height, as the reference kernels (the host picks BM).
LS_KERNEL void __launch_bounds__(256) conv2_f32_bm16(CONV_PARAMS) { conv_fast_f32<16>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(256) conv2_f32_bm32(CONV_PARAMS) { conv_fast_f32<32>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(256) conv2_f32_bm64(CONV_PARAMS) { conv_fast_f32<64>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_tf32_bm16(CONV_PARAMS) { conv_fast_mma<16, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_tf32_bm32(CONV_PARAMS) { conv_fast_mma<32, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_tf32_bm64(CONV_PARAMS) { conv_fast_mma<64, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16_bm16(CONV_PARAMS) { conv_fast_mma<16, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16_bm32(CONV_PARAMS) { conv_fast_mma<32, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16_bm64(CONV_PARAMS) { conv_fast_mma<64, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16f_bm16(CONV_PARAMS) { conv_fast_mma<16, true, float>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16f_bm32(CONV_PARAMS) { conv_fast_mma<32, true, float>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv2_bf16f_bm64(CONV_PARAMS) { conv_fast_mma<64, true, float>(CONV_ARGS); }
