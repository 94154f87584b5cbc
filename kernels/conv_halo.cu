// conv_halo.cu: the tf32 and bf16 3x3 convolutions of conv_fast.cu (same GEMM, tap-major weights
// Wt[m][tap·Cin + ci], same fused epilogue, parameters and grid) with the activations staged once
// per channel block as a halo instead of once per tap:
//
//   Out_k[b][m][p] = ReLU?( Σ_{c0 = 0,16,…} Σ_{tap=(kh,kw)} Σ_{ci<16} Wt_k[m][tap][c0+ci] ·
//                           In_k[b][c0+ci][oh·s+kh−p][ow·s+kw−p]  + ( b'_k[m] + Res_k[b][m][p] ) )
//
// A block's BN = 128 output pixels n0 … n0+127 (flattened (b, oh, ow), as conv_fast.cu) lie on
// output rows q = b·OH + oh from q0 to q1. Their receptive fields, for one block of 16 channels,
// are the halo: rows of the input, each stored once in shared memory with its padding columns,
//   slot(q, kh) = (q − q0)·s + kh + (b − b0)·max(0, KS − s)          (a halo row per input row;
//   column c ↔ iw = c − pad, c < WP = max((OW−1)·s + KS, W + pad))    rows of the next image after)
// element (slot, c, ci) in word ci (tf32) or ci/2 (bf16 pairs) of Hs[(slot·WP + c)·CHS …]: the 16
// channels of one input pixel are contiguous (CHS = 20 or 12 words, padded against bank
// conflicts), so for pixel n = (q, ow) and tap (kh, kw) the B operand's row n is the 16 channels
// at (slot(q, 0)·WP + ow·s + kh·WP + kw)·CHS: an ldmatrix row address, a per-lane base plus a
// per-tap constant. Halo elements outside the image
// (padding) are zeroed once per block and never written again.
//
// Per channel block each thread loads at most ITEMS float4s (4 input pixels of one channel row,
// 16-byte aligned: W % 4 == 0; bf16: 4 bf16 pixels (8 bytes) of each of two channels, activations
// being bf16 in memory), rounds them once (tf32: as cvt.rna; bf16: already bf16, packed into
// channel pairs) and stores them to the halo; the 9·BM·16 weights likewise.
// Then the 9 taps × 2 k8-steps (tf32) or 1 k16-step (bf16) run from shared memory, fragments by
// ldmatrix with no conversion: each input element is loaded and rounded once per channel
// block instead of once per tap (9× for stride 1), and rounded once instead of once per warp.
// Loads are synchronous (global → registers → shared): the block waits for them once per channel
// block (9 taps of MMAs); other resident blocks run meanwhile.
//
// Eligible layers (the host checks, gpu.HaloEligible): KS = 3, Cin % 16 == 0, Cout ≤ 32, stride ≤ 3,
// W % 4 == 0, 16-byte aligned input (bf16: 8-byte) and weights, B·Cin·H·W < 2^31, and every block's halo
// (rows · WP) ≤ HMAX pixels; a block whose halo would not fit traps (an illegal instruction the
// worker reports) rather than compute garbage.
// Rounding: as conv_mma.cu (tf32 round-to-nearest ties away, bf16 nearest even, fp32
// accumulation); the order of the
// float32 additions is channel block, tap, channel (conv_fast.cu: tap, channel block, channel).
#include "async.cuh"
#include "conv_tile.cuh"

namespace conv_halo_impl {

// K3: the kernel size (not KS, which CONV_PARAMS' parameter of that name would shadow).
constexpr int BN = 128, BK = 16, K3 = 3, KK = K3 * K3, THREADS = 128;
constexpr int HMAX = 256;              // halo pixels (rows × WP) per block
constexpr int MAXROWS = HMAX / K3 + 1; // WP ≥ K3

// Prec holds what tf32 and bf16 differ in. A halo pixel's 16 channels are W 32-bit words (tf32:
// one channel a word; bf16: channel pairs (2j, 2j+1) packed by cvt.rn.bf16x2, lower channel in
// bits 0-15, as mma's k order), padded to S words against bank conflicts (8 ldmatrix rows at a
// stride of 20 or 12 words hit distinct 4-word bank groups). CH: channels per activation item (a
// float4 of 4 pixels per channel), CPC: weight channels per 16-byte shared store.
template <bool BF16> struct Prec {
    static constexpr int W = BF16 ? BK / 2 : BK, S = W + 4, CH = BF16 ? 2 : 1, CPC = BF16 ? 8 : 4;
    static constexpr int ITEMS = HMAX * BK / CH / 4 / THREADS; // activation items per thread per channel block
};

// tf32w rounds x to tf32 for mma's .tf32 operands, as cvt.rna.tf32.f32 (nearest, ties away) but
// without clearing the 13 low bits, which mma ignores (the emulator's MMA model drops them too):
// adding half a tf32 unit to a finite value carries into the kept bits exactly when cvt.rna rounds
// up. Inf and NaN stay as they are. Two instructions (cvt's third clears the low bits).
__device__ __forceinline__ unsigned tf32w(float x) { return __float_as_uint(x) + (fabsf(x) < INFINITY ? 0x1000u : 0u); }

// HaloGeom is a block's halo: first output row, first image, rows, padded width, image gap.
struct HaloGeom {
    int q0, b0, rows, wp, gap;
    template <typename A> __device__ __forceinline__ HaloGeom(const ConvShape<A> &s, int OH, int n0) {
        const int nl = min(n0 + BN, s.Npix) - 1;
        const int q1 = nl / s.OW;
        q0 = n0 / s.OW, b0 = q0 / OH;
        gap = max(0, K3 - s.stride);
        rows = (q1 - q0) * s.stride + K3 + (q1 / OH - b0) * gap;
        wp = max((s.OW - 1) * s.stride + K3, s.W + s.pad);
    }
    // pixel returns the halo pixel index of output pixel n's tap (0, 0).
    template <typename A> __device__ __forceinline__ int pixel(const ConvShape<A> &s, int OH, int n) const {
        const int q = n / s.OW, ow = n - q * s.OW;
        return ((q - q0) * s.stride + (q / OH - b0) * gap) * wp + ow * s.stride;
    }
};

// A: the activation type, bf16s for the bf16 kernels, float for the bf16f ones (imported graphs).
template <int BM, bool BF16, typename A = ActType<BF16>> __device__ __forceinline__ void conv_halo(CONV_PARAMS) {
    typedef Prec<BF16> P;
    typedef WarpTile<BM, BN> WT;
    constexpr int WN = WT::WN, MT = WT::MT, NT = WT::NT;
    constexpr int CHS = P::S, ITEMS = P::ITEMS, CPT = BK / P::CPC; // weight chunks per tap and row
    constexpr int ACHUNKS = KK * BM * CPT;                          // 16-byte stores of a channel block's weights
    constexpr int APER = (ACHUNKS + THREADS - 1) / THREADS;
    constexpr int ATAPS = (APER * THREADS + BM * CPT - 1) / (BM * CPT); // taps of As, overflow included
    __shared__ __align__(16) unsigned Hs[HMAX * CHS];                // the halo, [slot][c][word]
    __shared__ __align__(16) unsigned As[ATAPS][BM][CHS];            // As[tap][m][word]; taps ≥ KK: overflow
    __shared__ int rowsrc[MAXROWS];                                // slot → offset of (b, ih, 0) in In_k, −1: padding

    ConvShape<A> s = conv_shape<A>(CONV_ARGS);
    s.R = s.Cin * KK;
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int g = lane / 4, t4 = lane % 4;
    const int wm = (warp / WN) * MT * 16, wn = (warp % WN) * NT * 8;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM, HW = s.H * s.W;
    const HaloGeom hg(s, OH, n0);
    if (KS != K3 || hg.rows * hg.wp > HMAX) __trap(); // the host's eligibility check failed

    // The halo's rows: every (output row, kh) writes its slot's source (agreeing where they share).
    for (int i = tid; i < hg.rows; i += THREADS) rowsrc[i] = -1;
    for (int i = tid; i < HMAX * CHS / 4; i += THREADS) ((uint4 *)Hs)[i] = make_uint4(0, 0, 0, 0);
    __syncthreads();
    const int q1 = (min(n0 + BN, s.Npix) - 1) / s.OW;
    for (int i = tid; i < (q1 - hg.q0 + 1) * K3; i += THREADS) {
        const int q = hg.q0 + i / K3, kh = i % K3, b = q / OH, ih = (q - b * OH) * s.stride - s.pad + kh;
        const int slot = (q - hg.q0) * s.stride + kh + (b - hg.b0) * hg.gap;
        rowsrc[slot] = ih >= 0 && ih < s.H ? b * s.Cin * HW + ih * s.W : -1;
    }
    __syncthreads();

    // This thread's activation loads: item i = tid + r·THREADS is (halo row, word j of the 16
    // channels, group of 4 columns): a float4 of channel j (tf32) or of channels 2j and 2j+1
    // (bf16). Items of padding rows (which stay zero) and past the last row load In_k[0 … 3] and
    // store into word W (padding) of halo pixels 0-3, which no fragment reads: no branches.
    const int G = s.W / 4, nitems = hg.rows * P::W * G;
    int src[ITEMS], dst[ITEMS]; // offset in In_k at channel block 0, halo word index
#pragma unroll
    for (int r = 0; r < ITEMS; r++) {
        const int i = tid + r * THREADS, slot = i / (G * P::W), rem = i - slot * (G * P::W);
        const int wd = rem / G, grp = rem - wd * G;
        const int row = i < nitems ? rowsrc[slot] : -1;
        src[r] = row >= 0 ? row + P::CH * wd * HW + 4 * grp : 0;
        dst[r] = row >= 0 ? (slot * hg.wp + s.pad + 4 * grp) * CHS + wd : P::W;
    }
    // This thread's weight chunks (tap, m, CPC channels) at channel block 0: rows past Cout repeat
    // row Cout − 1 (their outputs are not stored); chunks past the 9 taps go to As[KK…], never read.
    int wsrc[APER];
#pragma unroll
    for (int r = 0; r < APER; r++) {
        const int c = tid + r * THREADS, tap = c / (BM * CPT), m = (c / CPT) % BM, kk = P::CPC * (c % CPT);
        wsrc[r] = min(m0 + m, s.Cout - 1) * s.R + min(tap, KK - 1) * s.Cin + kk;
    }
    // Lane bases of the B fragments: pixel rows of ldmatrix (see conv_fast.cu's tf32 branch).
    int bpix[NT / 2];
#pragma unroll
    for (int j = 0; j < NT; j += 2) {
        const int n = min(n0 + wn + j * 8 + (lane / 16) * 8 + lane % 8, s.Npix - 1);
        bpix[j / 2] = hg.pixel(s, OH, n) * CHS + ((lane / 8) % 2) * 4;
    }

    float acc[MT][NT][4];
    zero_acc(acc);

    for (int c0 = 0; c0 < s.Cin; c0 += BK) {
        __syncthreads(); // the previous channel block's MMAs are done with Hs and As
        const A *in_c = s.in + (i64)c0 * HW;
        const float *w_c = s.w + c0;
#pragma unroll
        for (int r = 0; r < ITEMS; r++) {
            if constexpr (BF16 && sizeof(A) == 2) {
                // 4 pixels of channels 2j (v) and 2j+1 (u), already bf16: pixel x's pair is
                // v's bf16 x (bits 0-15) and u's bf16 x (bits 16-31), no rounding.
                const uint2 v = *(const uint2 *)(in_c + src[r]), u = *(const uint2 *)(in_c + src[r] + HW);
                Hs[dst[r]] = (v.x & 0xffffu) | (u.x << 16), Hs[dst[r] + CHS] = (v.x >> 16) | (u.x & 0xffff0000u);
                Hs[dst[r] + 2 * CHS] = (v.y & 0xffffu) | (u.y << 16), Hs[dst[r] + 3 * CHS] = (v.y >> 16) | (u.y & 0xffff0000u);
            } else if constexpr (BF16) { // float32 activations (bf16f): rounded into channel pairs
                const float4 v = *(const float4 *)(in_c + src[r]), u = *(const float4 *)(in_c + src[r] + HW);
                Hs[dst[r]] = cvt_bf16x2(v.x, u.x), Hs[dst[r] + CHS] = cvt_bf16x2(v.y, u.y);
                Hs[dst[r] + 2 * CHS] = cvt_bf16x2(v.z, u.z), Hs[dst[r] + 3 * CHS] = cvt_bf16x2(v.w, u.w);
            } else {
                const float4 v = *(const float4 *)(in_c + src[r]);
                Hs[dst[r]] = tf32w(v.x), Hs[dst[r] + CHS] = tf32w(v.y);
                Hs[dst[r] + 2 * CHS] = tf32w(v.z), Hs[dst[r] + 3 * CHS] = tf32w(v.w);
            }
        }
#pragma unroll
        for (int r = 0; r < APER; r++) {
            const int c = tid + r * THREADS, tap = c / (BM * CPT), m = (c / CPT) % BM, kw = (c % CPT) * 4;
            const float4 v = *(const float4 *)(w_c + wsrc[r]);
            if (BF16) {
                const float4 u = *(const float4 *)(w_c + wsrc[r] + 4);
                *(uint4 *)&As[tap][m][kw] = make_uint4(cvt_bf16x2(v.x, v.y), cvt_bf16x2(v.z, v.w), cvt_bf16x2(u.x, u.y), cvt_bf16x2(u.z, u.w));
            } else {
                *(uint4 *)&As[tap][m][kw] = make_uint4(tf32w(v.x), tf32w(v.y), tf32w(v.z), tf32w(v.w));
            }
        }
        __syncthreads();
#pragma unroll
        for (int tap = 0; tap < KK; tap++) {
            const int toff = ((tap / K3) * hg.wp + tap % K3) * CHS;
            // tf32: two m16n8k8 steps of 8 words; bf16: one m16n8k16 step of 8 words. The ldmatrix
            // addressing is the same in words: A matrices (rows 0-7 | 8-15) × (words 0-3 | 4-7),
            // B matrices (pixels 0-7, words 0-3), (0-7, 4-7), (8-15, 0-3), (8-15, 4-7).
#pragma unroll
            for (int ks = 0; ks < P::W; ks += 8) {
                unsigned a[MT][4], b[NT][2];
                ldmatrix_a(a, As[tap], wm, ks, lane);
#pragma unroll
                for (int j = 0; j < NT; j += 2) {
                    unsigned r[4];
                    ldmatrix_x4(r, &Hs[bpix[j / 2] + toff + ks]);
                    split_b2(b, j, r);
                }
                mma_tiles<BF16>(acc, a, b);
            }
        }
    }
    store_frags(s, m0 + wm, n0 + wn, g, t4, acc);
}

} // namespace conv_halo_impl
using namespace conv_halo_impl;

LS_KERNEL void __launch_bounds__(128) conv3_tf32_bm16(CONV_PARAMS) { conv_halo<16, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv3_tf32_bm32(CONV_PARAMS) { conv_halo<32, false>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv3_bf16_bm16(CONV_PARAMS) { conv_halo<16, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv3_bf16_bm32(CONV_PARAMS) { conv_halo<32, true>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv3_bf16f_bm16(CONV_PARAMS) { conv_halo<16, true, float>(CONV_ARGS); }
LS_KERNEL void __launch_bounds__(128) conv3_bf16f_bm32(CONV_PARAMS) { conv_halo<32, true, float>(CONV_ARGS); }
