// conv_tile.cuh: what the convolution kernels (conv.cu, conv_mma.cu) share: the parameter
// list, the implicit-im2col gather of the B operand and the fused epilogue.
//
// A convolution of weight set k is the GEMM   Out_k[m][n] = Σ_r W'_k[m][r] · X_k[r][n]
// with m = output channel, n = (b, oh, ow) an output pixel of image b, r = (ci, kh, kw) and
// X_k[r][n] = In_k[b][ci][oh·s + kh − p][ow·s + kw − p] (zero outside the image): im2col,
// never materialised, gathered tile by tile into shared memory ("implicit GEMM").
// A linear layer is the same GEMM with H = W = KS = 1: Cin features, one pixel per image.
//
// taps[r] = (ci·H·W + kh·W + kw, kh·65536 + kw) decodes a reduction index r once per layer
// (computed by the host), so the gather does no integer division:
// X[r][n] = img_b[taps[r].x + ih0·W + iw0] when 0 ≤ ih0 + kh < H and 0 ≤ iw0 + kw < W.
#pragma once
#include "async.cuh" // ldmatrix_x4 (ldmatrix_a)
#include "common.cuh"

#define CONV_PARAMS                                                                        \
    const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ weights,    \
        const float *__restrict__ bias, i64 w_set_stride, const float *__restrict__ res,   \
        float *__restrict__ out, const int2 *__restrict__ taps, int B, int Cin, int H,     \
        int W, int Cout, int OH, int OW, int KS, int stride, int pad, int relu
#define CONV_ARGS                                                                            \
    in, in_set_stride, weights, bias, w_set_stride, res, out, taps, B, Cin, H, W, Cout, OH, OW, KS, \
        stride, pad, relu

// ConvShape holds a launch's sizes and its weight set's base pointers. A is the activation type
// (float, or bf16s for the bf16 kernels: in, res and out then hold 2-byte values; the signature
// keeps float pointers so that one typed launch serves every conv kernel).
template <typename A = float> struct ConvShape {
    const A *in;       // input of weight set k
    const float *w;    // W'_k, [Cout][R]
    const float *bias; // b'_k
    const A *res;      // residual of weight set k, or null
    A *out;            // output of weight set k
    const int2 *taps;  // reduction index decode table, R entries
    int Cin, H, W, Cout, OHW, OW, KS, stride, pad, relu;
    int R;    // reduction length Cin·KS·KS
    int Npix; // B·OH·OW
};

template <typename A = float> __device__ __forceinline__ ConvShape<A> conv_shape(CONV_PARAMS) {
    ConvShape<A> s;
    i64 k = blockIdx.z;
    s.in = (const A *)in + k * in_set_stride;
    s.w = weights + k * w_set_stride;
    s.bias = bias + k * w_set_stride;
    i64 out_set = (i64)B * Cout * OH * OW;
    s.res = res ? (const A *)res + k * out_set : 0;
    s.out = (A *)out + k * out_set;
    s.taps = taps;
    s.Cin = Cin, s.H = H, s.W = W, s.Cout = Cout, s.OHW = OH * OW, s.OW = OW;
    s.KS = KS, s.stride = stride, s.pad = pad, s.relu = relu;
    s.R = Cin * KS * KS;
    s.Npix = B * OH * OW;
    return s;
}

// Column is one output pixel n's receptive field: its image and top-left input coordinate.
template <typename A> struct Column {
    const A *img; // image b; null past the last pixel
    int ih0, iw0;
    int origin; // ih0·W + iw0 (negative in the padding)
};

template <typename A> __device__ __forceinline__ Column<A> column_of(const ConvShape<A> &s, int n) {
    Column<A> c = {0, 0, 0, 0};
    if (n < s.Npix) {
        int b = n / s.OHW, p = n - b * s.OHW;
        int oh = p / s.OW, ow = p - oh * s.OW;
        c.ih0 = oh * s.stride - s.pad;
        c.iw0 = ow * s.stride - s.pad;
        c.img = s.in + (i64)b * s.Cin * s.H * s.W;
        c.origin = c.ih0 * s.W + c.iw0;
    }
    return c;
}

// im2col_at returns X[r][n] for the column c of pixel n: the input element under tap r (widened
// to float32).
template <typename A> __device__ __forceinline__ float im2col_at(const ConvShape<A> &s, const Column<A> &c, int r) {
    if (!c.img || r >= s.R) return 0.f;
    int2 t = s.taps[r];
    int ih = c.ih0 + (t.y >> 16), iw = c.iw0 + (t.y & 0xffff);
    if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) return 0.f;
    return act_load(&c.img[c.origin + t.x]);
}

// weight_at returns W'[m][r], zero outside the matrix.
template <typename A> __device__ __forceinline__ float weight_at(const ConvShape<A> &s, int m, int r) {
    return (m < s.Cout && r < s.R) ? s.w[(i64)m * s.R + r] : 0.f;
}

// store_out writes Out[m][n] = ReLU?(acc + (b'[m] + Res[m][n])), the CPU engine's order of
// additions (cpu.Epilogue); ReLU keeps NaN like PyTorch's. bf16 activations: Res is widened, and
// the float32 result rounded once to bf16 as it is stored.
template <typename A> __device__ __forceinline__ void store_out(const ConvShape<A> &s, int m, int n, float acc) {
    if (m >= s.Cout || n >= s.Npix) return;
    int b = n / s.OHW, p = n - b * s.OHW;
    i64 o = ((i64)b * s.Cout + m) * s.OHW + p;
    float v = s.res ? acc + (s.bias[m] + act_load(&s.res[o])) : acc + s.bias[m];
    if (s.relu && v < 0.f) v = 0.f;
    act_store(&s.out[o], v);
}

// The tensor-core kernels (conv_mma.cu, conv_fast.cu, conv_halo.cu) share one warp tiling: 4
// warps over a BM × BN block as WM × WN warps, each owning MT m16 tiles × NT n8 tiles, its
// accumulators acc[MT][NT][4] in mma.sync's C/D fragment layout (d[0..3] = D[g][2t],
// D[g][2t+1], D[g+8][2t], D[g+8][2t+1] with g = lane/4, t = lane%4: PTX's groupID and
// threadID_in_group).
template <int BM, int BN> struct WarpTile {
    static constexpr int WM = BM == 16 ? 1 : 2, WN = 4 / WM; // warps along m and n
    static constexpr int MT = BM / (16 * WM), NT = BN / (8 * WN);
};

// zero_acc clears a warp's accumulators.
template <int MT, int NT> __device__ __forceinline__ void zero_acc(float (&acc)[MT][NT][4]) {
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[i][j][c] = 0.f;
}

// store_frags writes a warp's MT × NT m16n8 accumulator fragments, rows mbase + 16i (+ g, g + 8),
// pixels nbase + 8j (+ 2t, 2t + 1) (d[0..3] = D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1]),
// by store_out's formula, with each pixel decoded (one division) once instead of once per element.
template <int MT, int NT, typename A>
__device__ __forceinline__ void store_frags(const ConvShape<A> &s, int mbase, int nbase, int g, int t4, const float (&acc)[MT][NT][4]) {
    i64 po[NT][2]; // offset of Out[b][0][p] for each of this thread's pixels; −1 past the last
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
        for (int e = 0; e < 2; e++) {
            const int n = nbase + j * 8 + 2 * t4 + e, b = n / s.OHW;
            po[j][e] = n < s.Npix ? (i64)b * s.Cout * s.OHW + (n - b * s.OHW) : -1;
        }
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int m = mbase + i * 16 + g + 8 * h;
            if (m >= s.Cout) continue;
            const float bias = s.bias[m];
            const i64 mo = (i64)m * s.OHW;
#pragma unroll
            for (int j = 0; j < NT; j++)
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    if (po[j][e] < 0) continue;
                    const i64 o = po[j][e] + mo;
                    const float a = acc[i][j][2 * h + e];
                    float v = s.res ? a + (bias + act_load(&s.res[o])) : a + bias;
                    if (s.relu && v < 0.f) v = 0.f;
                    act_store(&s.out[o], v);
                }
        }
}

// mma_tf32_16x8x8 and mma_bf16_16x8x16: D = A·B + D for one tensor-core tile, m16n8k8 TF32 or
// m16n8k16 BF16 (fragment layouts in conv_mma.cu); the emulator models them (kernels/emu).
__device__ __forceinline__ void mma_tf32_16x8x8(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#ifdef LS_EMULATE
    emu_mma_tf32(d, a, b);
#else
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#ifdef LS_EMULATE
    emu_mma_bf16(d, a, b);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// mma_tiles multiplies a warp's fragments into its accumulators: acc[i][j] += A_i·B_j, m16n8k16
// BF16 or m16n8k8 TF32.
template <bool BF16, int MT, int NT>
__device__ __forceinline__ void mma_tiles(float (&acc)[MT][NT][4], const unsigned (&a)[MT][4], const unsigned (&b)[NT][2]) {
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT; j++) {
            if (BF16)
                mma_bf16_16x8x16(acc[i][j], a[i], b[j]);
            else
                mma_tf32_16x8x8(acc[i][j], a[i], b[j]);
        }
}

// ldmatrix_a loads a warp's MT A fragments (m16 × 8 words, words ks … ks+7 of rows wm + 16i …)
// from a shared tile [rows][words] by ldmatrix (async.cuh): matrices (rows 0-7 | 8-15) × (words
// 0-3 | 4-7), lane l pointing at row l%16, word (l/16)·4; a tf32 fragment is {A[g][t],
// A[g+8][t], A[g][t+4], A[g+8][t+4]}, a bf16 one the same in words of two bf16s. With cvt, each
// register is converted as it is loaded (cvt_tf32 for float32 tiles).
template <int MT, typename T, int ROWS, int WORDS>
__device__ __forceinline__ void ldmatrix_a(unsigned (&a)[MT][4], T (&tile)[ROWS][WORDS], int wm, int ks, int lane) {
#pragma unroll
    for (int i = 0; i < MT; i++) ldmatrix_x4(a[i], &tile[wm + i * 16 + lane % 16][ks + (lane / 16) * 4]);
}

template <int MT, typename T, int ROWS, int WORDS, typename Cvt>
__device__ __forceinline__ void ldmatrix_a(unsigned (&a)[MT][4], T (&tile)[ROWS][WORDS], int wm, int ks, int lane, Cvt cvt) {
#pragma unroll
    for (int i = 0; i < MT; i++) {
        ldmatrix_x4(a[i], &tile[wm + i * 16 + lane % 16][ks + (lane / 16) * 4]);
#pragma unroll
        for (int c = 0; c < 4; c++) a[i][c] = cvt(a[i][c]);
    }
}

// split_b2 distributes one ldmatrix_x4 of B matrices (n 0-7, words 0-3), (n 0-7, words 4-7),
// (n 8-15, words 0-3), (n 8-15, words 4-7) as the fragments of n8 tiles j and j + 1.
template <int NT> __device__ __forceinline__ void split_b2(unsigned (&b)[NT][2], int j, const unsigned (&r)[4]) {
    b[j][0] = r[0], b[j][1] = r[1], b[j + 1][0] = r[2], b[j + 1][1] = r[3];
}
