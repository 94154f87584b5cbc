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

// Tile holds a block's compile-time sizes: the warp tiling (conv_tile.cuh's WarpTile) and the
// weight staging, CPT 16-byte chunks per tap and output row, APER per thread, ATAPS taps of As
// (those past KK take the chunks of threads beyond the 9 taps: overflow, never read).
template <int BM, bool BF16> struct Tile {
    typedef Prec<BF16> P;
    typedef WarpTile<BM, BN> WT;
    static constexpr int MT = WT::MT, NT = WT::NT, CHS = P::S, ITEMS = P::ITEMS, CPT = BK / P::CPC;
    static constexpr int ACHUNKS = KK * BM * CPT; // 16-byte stores of a channel block's weights
    static constexpr int APER = (ACHUNKS + THREADS - 1) / THREADS;
    static constexpr int ATAPS = (APER * THREADS + BM * CPT - 1) / (BM * CPT);
};

// halo_rows zeroes the halo and fills rowsrc: every (output row, kh) writes its slot's source, the
// offset of (b, ih, 0) in In_k, or −1 for a padding row (slots that share an input row agree).
template <int CHS, typename A>
__device__ __forceinline__ void halo_rows(const ConvShape<A> &s, int OH, int n0, const HaloGeom &hg, int tid,
                                          unsigned (&Hs)[HMAX * CHS], int (&rowsrc)[MAXROWS]) {
    for (int i = tid; i < hg.rows; i += THREADS) rowsrc[i] = -1;
    for (int i = tid; i < HMAX * CHS / 4; i += THREADS) ((uint4 *)Hs)[i] = make_uint4(0, 0, 0, 0);
    __syncthreads();
    const int q1 = (min(n0 + BN, s.Npix) - 1) / s.OW, HW = s.H * s.W;
    for (int i = tid; i < (q1 - hg.q0 + 1) * K3; i += THREADS) {
        const int q = hg.q0 + i / K3, kh = i % K3, b = q / OH, ih = (q - b * OH) * s.stride - s.pad + kh;
        const int slot = (q - hg.q0) * s.stride + kh + (b - hg.b0) * hg.gap;
        rowsrc[slot] = ih >= 0 && ih < s.H ? b * s.Cin * HW + ih * s.W : -1;
    }
    __syncthreads();
}

// act_items returns this thread's activation loads: item i = tid + r·THREADS is (halo row, word j
// of the 16 channels, group of 4 columns): a float4 of channel j (tf32) or of channels 2j and 2j+1
// (bf16); src[r] is its offset in In_k at channel block 0, dst[r] its halo word index. Items of
// padding rows (which stay zero) and past the last row load In_k[0 … 3] and store into word W
// (padding) of halo pixels 0-3, which no fragment reads: no branches.
template <bool BF16, int ITEMS, typename A>
__device__ __forceinline__ void act_items(const ConvShape<A> &s, const HaloGeom &hg, int tid, const int (&rowsrc)[MAXROWS],
                                          int (&src)[ITEMS], int (&dst)[ITEMS]) {
    typedef Prec<BF16> P;
    const int G = s.W / 4, nitems = hg.rows * P::W * G, HW = s.H * s.W;
#pragma unroll
    for (int r = 0; r < ITEMS; r++) {
        const int i = tid + r * THREADS, slot = i / (G * P::W), rem = i - slot * (G * P::W);
        const int wd = rem / G, grp = rem - wd * G;
        const int row = i < nitems ? rowsrc[slot] : -1;
        src[r] = row >= 0 ? row + P::CH * wd * HW + 4 * grp : 0;
        dst[r] = row >= 0 ? (slot * hg.wp + s.pad + 4 * grp) * P::S + wd : P::W;
    }
}

// weight_chunks returns this thread's weight chunks (tap, m, CPC channels) at channel block 0, as
// offsets in W'_k: rows past Cout repeat row Cout − 1 (their outputs are not stored); chunks past
// the 9 taps go to As[KK…], never read.
template <int BM, bool BF16, typename A>
__device__ __forceinline__ void weight_chunks(const ConvShape<A> &s, int m0, int tid, int (&wsrc)[Tile<BM, BF16>::APER]) {
    typedef Tile<BM, BF16> T;
#pragma unroll
    for (int r = 0; r < T::APER; r++) {
        const int c = tid + r * THREADS, tap = c / (BM * T::CPT), m = (c / T::CPT) % BM, kk = T::P::CPC * (c % T::CPT);
        wsrc[r] = min(m0 + m, s.Cout - 1) * s.R + min(tap, KK - 1) * s.Cin + kk;
    }
}

// b_lanes returns the lane bases of the B fragments: the halo word of this lane's ldmatrix pixel
// row for tap (0, 0) (see conv_fast.cu's tf32 branch), one per pair of n8 tiles.
template <int NT, int CHS, typename A>
__device__ __forceinline__ void b_lanes(const ConvShape<A> &s, int OH, const HaloGeom &hg, int n0, int wn, int lane,
                                        int (&bpix)[NT / 2]) {
#pragma unroll
    for (int j = 0; j < NT; j += 2) {
        const int n = min(n0 + wn + j * 8 + (lane / 16) * 8 + lane % 8, s.Npix - 1);
        bpix[j / 2] = hg.pixel(s, OH, n) * CHS + ((lane / 8) % 2) * 4;
    }
}

// stage_acts stores one channel block's activations (in_c: In_k at channel c0) into the halo,
// rounded once: tf32w for tf32; bf16 activations are packed into channel pairs as they are, float32
// ones (bf16f) rounded by cvt_bf16x2.
template <bool BF16, int ITEMS, typename A>
__device__ __forceinline__ void stage_acts(const A *in_c, int HW, const int (&src)[ITEMS], const int (&dst)[ITEMS],
                                           unsigned (&Hs)[HMAX * Prec<BF16>::S]) {
    constexpr int CHS = Prec<BF16>::S;
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
}

// stage_weights stores one channel block's weights (w_c: W'_k at channel c0) into As[tap][m],
// rounded once (tf32w, or cvt_bf16x2 into channel pairs).
template <int BM, bool BF16>
__device__ __forceinline__ void stage_weights(const float *w_c, int tid, const int (&wsrc)[Tile<BM, BF16>::APER],
                                              unsigned (&As)[Tile<BM, BF16>::ATAPS][BM][Prec<BF16>::S]) {
    typedef Tile<BM, BF16> T;
#pragma unroll
    for (int r = 0; r < T::APER; r++) {
        const int c = tid + r * THREADS, tap = c / (BM * T::CPT), m = (c / T::CPT) % BM, kw = (c % T::CPT) * 4;
        const float4 v = *(const float4 *)(w_c + wsrc[r]);
        if (BF16) {
            const float4 u = *(const float4 *)(w_c + wsrc[r] + 4);
            *(uint4 *)&As[tap][m][kw] = make_uint4(cvt_bf16x2(v.x, v.y), cvt_bf16x2(v.z, v.w), cvt_bf16x2(u.x, u.y), cvt_bf16x2(u.z, u.w));
        } else {
            *(uint4 *)&As[tap][m][kw] = make_uint4(tf32w(v.x), tf32w(v.y), tf32w(v.z), tf32w(v.w));
        }
    }
}

// A: the activation type, bf16s for the bf16 kernels, float for the bf16f ones (imported graphs).
template <int BM, bool BF16, typename A = ActType<BF16>> __device__ __forceinline__ void conv_halo(CONV_PARAMS) {
    typedef Tile<BM, BF16> T;
    constexpr int MT = T::MT, NT = T::NT, CHS = T::CHS;
    __shared__ __align__(16) unsigned Hs[HMAX * CHS];          // the halo, [slot][c][word]
    __shared__ __align__(16) unsigned As[T::ATAPS][BM][CHS];   // As[tap][m][word]; taps ≥ KK: overflow
    __shared__ int rowsrc[MAXROWS];                            // slot → offset of (b, ih, 0) in In_k, −1: padding

    ConvShape<A> s = conv_shape<A>(CONV_ARGS);
    s.R = s.Cin * KK;
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int g = lane / 4, t4 = lane % 4;
    const int wm = (warp / T::WT::WN) * MT * 16, wn = (warp % T::WT::WN) * NT * 8;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM, HW = s.H * s.W;
    const HaloGeom hg(s, OH, n0);
    if (KS != K3 || hg.rows * hg.wp > HMAX) __trap(); // the host's eligibility check failed

    halo_rows<CHS>(s, OH, n0, hg, tid, Hs, rowsrc);
    int src[T::ITEMS], dst[T::ITEMS], wsrc[T::APER], bpix[NT / 2];
    act_items<BF16>(s, hg, tid, rowsrc, src, dst);
    weight_chunks<BM, BF16>(s, m0, tid, wsrc);
    b_lanes<NT, CHS>(s, OH, hg, n0, wn, lane, bpix);

    float acc[MT][NT][4];
    zero_acc(acc);
    for (int c0 = 0; c0 < s.Cin; c0 += BK) {
        __syncthreads(); // the previous channel block's MMAs are done with Hs and As
        stage_acts<BF16>(s.in + (i64)c0 * HW, HW, src, dst, Hs);
        stage_weights<BM, BF16>(s.w + c0, tid, wsrc, As);
        __syncthreads();
        // The 9 taps from shared memory: tf32, two m16n8k8 steps of 8 words; bf16, one m16n8k16
        // step of 8 words. The ldmatrix addressing is the same in words: A matrices (rows 0-7 |
        // 8-15) × (words 0-3 | 4-7), B matrices (pixels 0-7, words 0-3), (0-7, 4-7), (8-15, 0-3),
        // (8-15, 4-7), the B rows at bpix plus the tap's constant offset. (A helper taking acc
        // by reference makes nvcc number the accumulators differently, and ptxas then schedules
        // the sm_80 bf16 loop worse: kept inline.)
#pragma unroll
        for (int tap = 0; tap < KK; tap++) {
            const int toff = ((tap / K3) * hg.wp + tap % K3) * CHS;
#pragma unroll
            for (int ks = 0; ks < T::P::W; ks += 8) {
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
