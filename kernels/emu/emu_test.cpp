// emu_test.cpp: runs every kernel on the host (emu.h) against straightforward references, on
// random inputs with ragged sizes (partial tiles in every dimension, several weight sets, a shared
// input, residuals, NaN propagation). Exit status 0 when every relative error is in tolerance.
#include "emu.h"
#define LS_EMULATE
#include "../async.cuh" // the fast kernels' instruction wrappers, on the models of emu.cpp
#undef LS_EMULATE

#include <cstdio>
#include <random>
#include <vector>

#include "kernels_gen.h" // every kernel's prototype, generated from the .cu signatures
#include "../fold.cuh"     // fold_weights' table row

namespace {
// BF16ACT_TOL: kernels with bf16 activations, on inputs already bf16: the weights' rounding (2^-9
// relative per product) and one rounding of the output; misread activations are off by O(1).
constexpr double BF16ACT_TOL = 1e-2;
std::mt19937 rng(1);
int failures = 0;

std::vector<float> randn(size_t n, float scale = 1) {
    std::normal_distribution<float> d(0, scale);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

// bf16_ref rounds x to bf16 (nearest even) by float64 arithmetic, independently of the kernels'
// bit manipulation: 8 significant bits of frexp's mantissa, rounded by nearbyint (ties to even).
uint16_t bf16_ref(float x) {
    if (std::isnan(x)) return 0x7fc0;
    int e;
    const double m = std::frexp((double)x, &e);
    return (uint16_t)(__float_as_uint((float)std::ldexp(std::nearbyint(std::ldexp(m, 8)), e - 8)) >> 16);
}
float widen(uint16_t h) { return __uint_as_float((unsigned)h << 16); }
std::vector<uint16_t> to_bf16_vec(std::vector<float> &v) { // rounds v in place, returns the bf16s
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); i++) h[i] = bf16_ref(v[i]), v[i] = widen(h[i]);
    return h;
}

template <typename T>
void check(const char *what, const std::vector<double> &want, const std::vector<T> &got, double tol) {
    double num = 0, den = 0;
    bool nan = false;
    for (size_t i = 0; i < want.size(); i++) {
        if (std::isnan(want[i]) != std::isnan((double)got[i])) nan = true;
        if (std::isnan(want[i])) continue;
        num += (got[i] - want[i]) * (got[i] - want[i]);
        den += want[i] * want[i];
    }
    const double rel = std::sqrt(num / (den > 0 ? den : 1));
    const bool ok = !nan && rel <= tol;
    std::printf("%-4s %-46s rel %.3g (tol %.g)%s\n", ok ? "ok" : "FAIL", what, rel, tol, nan ? " NaN mismatch" : "");
    failures += !ok;
}

typedef decltype(&conv_f32_bm16) ConvFn; // every conv kernel has CONV_PARAMS

struct ConvCase {
    int K, B, Cin, H, W, Cout, KS, stride, pad;
    bool shared_input, residual, relu;
};

// test_conv runs one conv kernel on random data against a double-precision loop. fast: the kernel
// is one of conv_fast.cu's, which read W' tap-major, W'[m][tap·Cin + ci], from 16-byte aligned
// rows (weight sets a multiple of 4 floats apart). act16: the kernel's activations (In, Res, Out)
// are bf16: the inputs are rounded to bf16 first (the reference uses the rounded values, as a
// network whose activations are stored so), and the kernel's bf16 output is widened for the check.
void test_conv(const char *name, ConvFn fn, int BM, int threads, const ConvCase &c, double tol, bool fast = false,
               bool act16 = false) {
    const int OH = (c.H + 2 * c.pad - c.KS) / c.stride + 1, OW = (c.W + 2 * c.pad - c.KS) / c.stride + 1;
    const int R = c.Cin * c.KS * c.KS, KK = c.KS * c.KS;
    const i64 in_set = c.shared_input ? 0 : (i64)c.B * c.Cin * c.H * c.W;
    const i64 out_set = (i64)c.B * c.Cout * OH * OW;
    i64 w_set = (i64)c.Cout * R + c.Cout + 3; // weights, then biases, then slack
    if (fast) w_set = (w_set + 3) / 4 * 4;
    auto in = randn(c.shared_input ? in_set + c.B * c.Cin * c.H * c.W : in_set * c.K);
    auto wb = randn(w_set * c.K, 0.3f);
    auto wk = wb; // what the kernel reads
    if (fast)
        for (int k = 0; k < c.K; k++)
            for (int m = 0; m < c.Cout; m++)
                for (int i = 0; i < R; i++) wk[k * w_set + (i64)m * R + i % KK * c.Cin + i / KK] = wb[k * w_set + (i64)m * R + i];
    auto res = randn(out_set * c.K);
    std::vector<float> out(out_set * c.K, NAN);
    std::vector<uint16_t> in16, res16, out16(act16 ? out.size() : 0, 0x7fc0);
    if (act16) in16 = to_bf16_vec(in), res16 = to_bf16_vec(res);
    const float *in_k = act16 ? (const float *)in16.data() : in.data();
    const float *res_k = act16 ? (const float *)res16.data() : res.data();
    float *out_k = act16 ? (float *)out16.data() : out.data();
    std::vector<int2> taps(R);
    for (int r = 0; r < R; r++) {
        const int ci = r / (c.KS * c.KS), kh = r / c.KS % c.KS, kw = r % c.KS;
        taps[r] = int2{(ci * c.H + kh) * c.W + kw, kh * 65536 + kw};
    }
    const int Npix = c.B * OH * OW;
    dim3 grid{(unsigned)((Npix + 127) / 128), (unsigned)((c.Cout + BM - 1) / BM), (unsigned)c.K};
    emu_launch(grid, dim3{(unsigned)threads, 1, 1}, [&] {
        fn(in_k, in_set, wk.data(), wk.data() + (i64)c.Cout * R, w_set, c.residual ? res_k : nullptr,
           out_k, taps.data(), c.B, c.Cin, c.H, c.W, c.Cout, OH, OW, c.KS, c.stride, c.pad, c.relu);
    });
    for (size_t i = 0; i < out16.size(); i++) out[i] = widen(out16[i]);
    std::vector<double> want(out.size());
    for (int k = 0; k < c.K; k++)
        for (int b = 0; b < c.B; b++)
            for (int m = 0; m < c.Cout; m++)
                for (int oh = 0; oh < OH; oh++)
                    for (int ow = 0; ow < OW; ow++) {
                        const float *img = in.data() + k * in_set + (i64)b * c.Cin * c.H * c.W;
                        const float *wk = wb.data() + k * w_set;
                        double s = 0;
                        for (int ci = 0; ci < c.Cin; ci++)
                            for (int kh = 0; kh < c.KS; kh++)
                                for (int kw = 0; kw < c.KS; kw++) {
                                    const int ih = oh * c.stride + kh - c.pad, iw = ow * c.stride + kw - c.pad;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    s += (double)wk[((m * c.Cin + ci) * c.KS + kh) * c.KS + kw] * img[(ci * c.H + ih) * c.W + iw];
                                }
                        const i64 o = k * out_set + (((i64)b * c.Cout + m) * OH + oh) * OW + ow;
                        s += wk[(i64)c.Cout * R + m];
                        if (c.residual) s += res[o];
                        if (c.relu && s < 0) s = 0;
                        want[o] = s;
                    }
    char what[160];
    std::snprintf(what, sizeof what, "%s K%d B%d %dx%dx%d->%d k%d s%d%s%s%s", name, c.K, c.B, c.Cin, c.H, c.W, c.Cout,
                  c.KS, c.stride, c.shared_input ? " shared" : "", c.residual ? " res" : "", c.relu ? " relu" : "");
    check(what, want, out, tol);
}

void test_pools() {
    const int N = 3, C = 5, H = 7, W = 6, KS = 2, OH = 4, OW = 3;
    auto in = randn(N * C * H * W);
    in[17] = NAN;
    std::vector<float> out(N * C * OH * OW);
    emu_launch(dim3{2, 1, 1}, dim3{64, 1, 1}, [&] { maxpool(in.data(), out.data(), N, C, H, W, KS); });
    std::vector<double> want(out.size());
    for (int p = 0; p < N * C; p++)
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                double m = -INFINITY;
                for (int i = y * KS; i < std::min(y * KS + KS, H); i++)
                    for (int j = x * KS; j < std::min(x * KS + KS, W); j++) {
                        const double v = in[(p * H + i) * W + j];
                        if (v > m || v != v) m = v;
                    }
                want[(p * OH + y) * OW + x] = m;
            }
    check("maxpool 3x5x7x6 ceil, one NaN", want, out, 0);

    std::vector<float> avg(N * C);
    emu_launch(dim3{1, 1, 1}, dim3{8, 1, 1}, [&] { avgpool(in.data(), avg.data(), N * C, H * W); });
    std::vector<double> wavg(N * C);
    for (int p = 0; p < N * C; p++) {
        double s = 0;
        for (int i = 0; i < H * W; i++) s += in[p * H * W + i];
        wavg[p] = (float)(s / (H * W));
    }
    check("avgpool 15 planes of 42", wavg, avg, 0);
}

// test_bf16_activations: the bf16-activation pools, loss and image conversion against float64
// loops on the widened inputs. maxpool, avgpool and to_bf16 are exact (one rounding, bf16_ref's).
void test_bf16_activations() {
    const int N = 3, C = 5, H = 7, W = 6, KS = 2, OH = 4, OW = 3;
    auto in = randn(N * C * H * W);
    in[17] = NAN;
    std::vector<uint16_t> conv(in.size(), 0);
    emu_launch(dim3{2, 1, 1}, dim3{64, 1, 1}, [&] { to_bf16(in.data(), conv.data(), (i64)in.size()); });
    int bad = 0;
    for (size_t i = 0; i < in.size(); i++) bad += conv[i] != bf16_ref(in[i]) && !(std::isnan(in[i]) && std::isnan(widen(conv[i])));
    const float ties[] = {__uint_as_float(0x3F808000u), __uint_as_float(0x3F818000u), __uint_as_float(0x3F808001u)};
    const uint16_t tie_want[] = {0x3F80, 0x3F82, 0x3F81}; // ties to even, above the tie up
    std::vector<uint16_t> tie_got(3);
    emu_launch(dim3{1, 1, 1}, dim3{4, 1, 1}, [&] { to_bf16(ties, tie_got.data(), 3); });
    for (int i = 0; i < 3; i++) bad += tie_got[i] != tie_want[i];
    std::printf("%-4s %-46s %d wrong\n", bad ? "FAIL" : "ok", "to_bf16 (nearest even, NaN)", bad);
    failures += bad != 0;

    auto in16 = to_bf16_vec(in);
    std::vector<uint16_t> out16(N * C * OH * OW, 0);
    emu_launch(dim3{2, 1, 1}, dim3{64, 1, 1}, [&] { maxpool_bf16(in16.data(), out16.data(), N, C, H, W, KS); });
    std::vector<double> want(out16.size());
    std::vector<float> got(out16.size());
    for (int p = 0; p < N * C; p++)
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                double m = -INFINITY;
                for (int i = y * KS; i < std::min(y * KS + KS, H); i++)
                    for (int j = x * KS; j < std::min(x * KS + KS, W); j++) {
                        const double v = in[(p * H + i) * W + j];
                        if (v > m || v != v) m = v;
                    }
                want[(p * OH + y) * OW + x] = m;
            }
    for (size_t i = 0; i < got.size(); i++) got[i] = widen(out16[i]);
    check("maxpool_bf16 3x5x7x6 ceil, one NaN", want, got, 0);

    std::vector<uint16_t> avg16(N * C, 0);
    emu_launch(dim3{1, 1, 1}, dim3{8, 1, 1}, [&] { avgpool_bf16(in16.data(), avg16.data(), N * C, H * W); });
    std::vector<double> wavg(N * C);
    std::vector<float> gavg(N * C);
    for (int p = 0; p < N * C; p++) {
        double s = 0;
        for (int i = 0; i < H * W; i++) s += in[p * H * W + i];
        wavg[p] = widen(bf16_ref((float)(s / (H * W))));
        gavg[p] = widen(avg16[p]);
    }
    check("avgpool_bf16 15 planes of 42", wavg, gavg, 0);

    const int K = 2, B = 70, classes = 10;
    auto z = randn(K * B * classes, 3);
    auto z16 = to_bf16_vec(z);
    std::vector<int> labels(B);
    for (auto &l : labels) l = rng() % classes;
    std::vector<double> loss(K, 0), sq(K, 0);
    std::vector<i64> correct(K, 0);
    emu_launch(dim3{K, 1, 1}, dim3{256, 1, 1}, [&] {
        cross_entropy_bf16(z16.data(), labels.data(), B, classes, loss.data(), sq.data(), correct.data());
    });
    std::vector<double> wl(K, 0), wq(K, 0), wc(K, 0), gc(correct.begin(), correct.end());
    for (int k = 0; k < K; k++)
        for (int b = 0; b < B; b++) {
            const float *v = z.data() + (k * B + b) * classes;
            int best = 0;
            double m = v[0];
            for (int j = 0; j < classes; j++)
                if (v[j] > m) m = v[j], best = j;
            double e = 0;
            for (int j = 0; j < classes; j++) e += std::exp((double)v[j] - m);
            const double l = std::log(e) + m - v[labels[b]];
            wl[k] += l;
            wq[k] += l * l;
            wc[k] += best == labels[b];
        }
    check("cross_entropy_bf16 loss", wl, loss, 1e-12);
    check("cross_entropy_bf16 sum of squared losses", wq, sq, 1e-12);
    check("cross_entropy_bf16 correct counts", wc, gc, 0);
}

void test_loss() {
    const int K = 3, B = 300, classes = 10;
    auto z = randn(K * B * classes, 3);
    z[5 * classes + 3] = NAN; // set 0, image 5: NaN logit
    std::vector<int> labels(B);
    for (auto &l : labels) l = rng() % classes;
    std::vector<double> loss(K, 1.5), sq(K, 0.25); // the kernel adds to what is there
    std::vector<i64> correct(K, 2);
    emu_launch(dim3{K, 1, 1}, dim3{256, 1, 1}, [&] {
        cross_entropy(z.data(), labels.data(), B, classes, loss.data(), sq.data(), correct.data());
    });
    std::vector<double> wl(K, 1.5), wq(K, 0.25), wc(K, 2);
    for (int k = 0; k < K; k++)
        for (int b = 0; b < B; b++) {
            const float *v = z.data() + (k * B + b) * classes;
            int best = 0;
            double m = v[0];
            for (int j = 0; j < classes; j++) {
                if (std::isnan(m)) break;
                if (v[j] > m || std::isnan(v[j])) m = v[j], best = j;
            }
            double e = 0;
            for (int j = 0; j < classes; j++) e += std::exp((double)v[j] - m);
            const double l = std::log(e) + m - v[labels[b]];
            wl[k] += l;
            wq[k] += l * l;
            wc[k] += best == labels[b];
        }
    std::vector<double> gl(loss.begin() + 1, loss.end()), gq(sq.begin() + 1, sq.end()), gc(correct.begin(), correct.end());
    check("cross_entropy loss (sets 1,2)", std::vector<double>(wl.begin() + 1, wl.end()), gl, 1e-12);
    check("cross_entropy sum of squared losses (sets 1,2)", std::vector<double>(wq.begin() + 1, wq.end()), gq, 1e-12);
    const bool nan = std::isnan(loss[0]) && std::isnan(sq[0]);
    std::printf("%-4s %-46s %s\n", nan ? "ok" : "FAIL", "cross_entropy NaN logit gives NaN (sum, squares)", "");
    failures += !nan;
    check("cross_entropy correct counts", wc, gc, 0);
}

// fold_row returns one row of fold_weights' table (fold.cuh), ε as its two 32-bit words.
std::vector<int> fold_row(int w, int bias, int bn, int per, int cout, int wout, int bout, int first, int taps, double eps) {
    std::vector<int> r(F_FIELDS);
    r[F_W] = w, r[F_BIAS] = bias, r[F_PER] = per, r[F_COUT] = cout;
    r[F_GAMMA] = bn, r[F_BETA] = bn < 0 ? -1 : bn + cout, r[F_MEAN] = bn < 0 ? -1 : bn + 2 * cout;
    r[F_VAR] = bn < 0 ? -1 : bn + 3 * cout;
    r[F_WOUT] = wout, r[F_BOUT] = bout, r[F_FIRST] = first, r[F_TAPS] = taps;
    unsigned long long u;
    std::memcpy(&u, &eps, 8);
    r[F_EPS_LO] = (int)(unsigned)u, r[F_EPS_HI] = (int)(unsigned)(u >> 32);
    return r;
}

void test_fold(double eps) {
    // Two layers: a conv [6][4] with BN and no bias, a linear [3][5] with bias and no BN.
    const int P = 6 * 4 + 4 * 6 + 3 * 5 + 3;
    auto theta = randn(P), dx = randn(P, 0.1f), dy = randn(P, 0.1f);
    for (int c = 0; c < 6; c++) theta[24 + 18 + c] = 0.5f + std::fabs(theta[24 + 18 + c]); // variances
    theta[24 + 18 + 2] = -3;                                                                   // one negative: NaN
    theta[24 + 18 + 4] = 1e-4f, dx[24 + 18 + 4] = dy[24 + 18 + 4] = 0; // one small: ε matters
    // Layer 0 written tap-major (F_TAPS = 2: 4 weights per channel = 2 input channels × 2 taps).
    std::vector<int> table = fold_row(0, -1, 24, 4, 6, 0, 24, 0, 2, eps), lin = fold_row(48, 63, -1, 5, 3, 30, 45, 6, 0, eps);
    table.insert(table.end(), lin.begin(), lin.end());
    const int K = 2, FP = 48;
    std::vector<float> ab = {0.25f, -0.5f, -1.0f, 0.75f}, folded(K * FP, 7);
    emu_launch(dim3{9, K, 1}, dim3{4, 1, 1}, [&] {
        fold_weights(theta.data(), dx.data(), dy.data(), ab.data(), table.data(), 2, folded.data(), FP);
    });
    std::vector<double> want(K * FP, 7);
    for (int k = 0; k < K; k++) {
        auto at = [&](int i) { float d = ab[2 * k] * dx[i]; d = d + ab[2 * k + 1] * dy[i]; return theta[i] + d; };
        for (int c = 0; c < 6; c++) {
            const double s = (double)at(24 + c) / std::sqrt((double)at(42 + c) + eps);
            for (int i = 0; i < 4; i++) want[k * FP + c * 4 + i % 2 * 2 + i / 2] = (float)((double)at(c * 4 + i) * s);
            want[k * FP + 24 + c] = (float)((0 - (double)at(36 + c)) * s + (double)at(30 + c));
        }
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 5; i++) want[k * FP + 30 + c * 5 + i] = at(48 + c * 5 + i);
            want[k * FP + 45 + c] = at(63 + c);
        }
    }
    char name[96];
    std::snprintf(name, sizeof name, "fold_weights ε=%g (bit-exact, NaN, tap-major)", eps);
    check(name, want, folded, 0);
}

// test_async_models checks the instruction models against the PTX ISA's statements (cited in
// emu.cpp), through the wrappers the kernels call (async.cuh).
void test_async_models() {
    alignas(16) float src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    alignas(16) float dst[12];
    bool before = false, first = false, all = false;
    emu_launch(dim3{1, 1, 1}, dim3{1, 1, 1}, [&] {
        for (auto &d : dst) d = -1;
        cp_async16(&dst[0], &src[0], true); // group 1: 16 bytes
        cp_async_commit();
        emu_cp_async(&dst[4], &src[4], 16, 8); // group 2: 8 bytes read, 8 zeros
        cp_async_commit();
        cp_async4(&dst[8], &src[0], false); // group 3: src-size 0, a zero
        cp_async_commit();
        cp_async4(&dst[9], &src[1], true); // not committed: not waited for
        before = dst[0] == -1 && dst[8] == -1;
        cp_async_wait<2>(); // all but the 2 most recent groups: group 1
        first = dst[0] == 1 && dst[3] == 4 && dst[4] == -1 && dst[8] == -1;
        cp_async_commit();
        cp_async_wait<0>();
        all = dst[4] == 5 && dst[5] == 6 && dst[6] == 0 && dst[7] == 0 && dst[8] == 0 && dst[9] == 2 &&
              emu_cp_async_pending() == 0;
    });
    const bool cp_ok = before && first && all;
    std::printf("%-4s %-46s before wait %d, wait_group 2 %d, wait_group 0 %d\n", cp_ok ? "ok" : "FAIL",
                "cp.async model (zero fill, groups)", before, first, all);
    failures += !cp_ok;

    // ldmatrix .x4 on 32-bit words: lane l gets word l%4 of row l/4 of matrix q in register q.
    alignas(16) static unsigned m[4][8][8]; // 4 matrices, 8 rows of 4 words (+4 padding)
    for (int q = 0; q < 4; q++)
        for (int r = 0; r < 8; r++)
            for (int w = 0; w < 8; w++) m[q][r][w] = 1000 * q + 10 * r + w;
    int bad = 0;
    emu_launch(dim3{1, 1, 1}, dim3{32, 1, 1}, [&] {
        const int l = threadIdx.x;
        unsigned r[4];
        ldmatrix_x4(r, &m[l / 8][l % 8][0]);
        for (int q = 0; q < 4; q++)
            if (r[q] != m[q][l / 4][l % 4]) __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
    });
    std::printf("%-4s %-46s %d wrong words\n", bad ? "FAIL" : "ok", "ldmatrix.x4 model (fragment layout)", bad);
    failures += bad != 0;

    // cvt.rn.bf16x2.f32: a (hi) in bits 16-31, b (lo) in 0-15; nearest even; NaN stays NaN.
    const struct {
        float lo, hi;
        unsigned want;
    } cv[] = {
        {1.0f, -2.0f, 0xC0003F80u},
        {__uint_as_float(0x3F808000u), __uint_as_float(0x3F818000u), 0x3F823F80u}, // ties: to even
        {__uint_as_float(0x3F808001u), 0.0f, 0x00003F81u},                         // above the tie: up
        {NAN, INFINITY, 0x7F807FFFu},
    };
    int cbad = 0;
    for (auto &c : cv) {
        const unsigned got = cvt_bf16x2(c.lo, c.hi);
        if (got != c.want) {
            std::printf("     cvt_bf16x2(%g, %g) = %#x, want %#x\n", c.lo, c.hi, got, c.want);
            cbad++;
        }
    }
    // cvt.rna.tf32: nearest, ties away from zero, in the upper 19 bits.
    cbad += (cvt_tf32(0x3F801000u) & 0xffffe000u) != 0x3F802000u; // tie: away
    cbad += (cvt_tf32(0xBF800FFFu) & 0xffffe000u) != 0xBF800000u; // below the tie: down
    std::printf("%-4s %-46s %d wrong\n", cbad ? "FAIL" : "ok", "cvt.rn.bf16x2 / cvt.rna.tf32 models", cbad);
    failures += cbad != 0;
}

// The reference kernels (conv.cu, conv_mma.cu) on every case, precision and row tile.
void test_reference_convs() {
    const ConvCase cases[] = {
        {2, 3, 3, 7, 6, 10, 3, 1, 1, true, false, true},    // first layer: shared images, Cout < 16
        {2, 2, 20, 9, 7, 24, 3, 1, 1, false, true, true},   // residual + ReLU, R = 180 (partial k tile)
        {1, 2, 18, 9, 7, 40, 3, 2, 1, false, false, true},  // stride 2, odd size
        {3, 2, 17, 9, 7, 70, 1, 2, 0, false, false, false}, // 1x1 projection, two channel tiles
        {2, 37, 70, 1, 1, 10, 1, 1, 0, false, false, false}, // linear layer as 1x1 on 1x1 images
        {2, 2, 16, 8, 8, 64, 3, 1, 1, false, true, true}      // whole tiles only: 128 pixels, 64 channels
    };
    struct {
        const char *name;
        ConvFn fn[3];
        int threads;
        double tol;
        bool act16;
    } kinds[] = {{"conv_f32", {conv_f32_bm16, conv_f32_bm32, conv_f32_bm64}, 256, 1e-6, false},
                 {"conv_tf32", {conv_tf32_bm16, conv_tf32_bm32, conv_tf32_bm64}, 128, 3e-3, false},
                 {"conv_bf16", {conv_bf16_bm16, conv_bf16_bm32, conv_bf16_bm64}, 128, BF16ACT_TOL, true},
                 {"conv_bf16f", {conv_bf16f_bm16, conv_bf16f_bm32, conv_bf16f_bm64}, 128, 2e-2, false}};
    for (auto &kd : kinds)
        for (auto &c : cases)
            for (int i = 0; i < 3; i++) {
                const int bm = 16 << i;
                char name[32];
                std::snprintf(name, sizeof name, "%s_bm%d", kd.name, bm);
                test_conv(name, kd.fn[i], bm, kd.threads, c, kd.tol, false, kd.act16);
            }
}

// The fast kernels (conv_fast.cu): Cin a multiple of 4 (the engine's rule), partial channel
// blocks (Cin 20, 36, 8), edge tiles in pixels and channels, strides, 1x1, linear, residuals.
void test_fast_convs() {
    const ConvCase fast_cases[] = {
        {2, 3, 16, 7, 6, 10, 3, 1, 1, true, false, true},    // shared input, Cout < 16, 126 pixels
        {2, 2, 20, 9, 7, 24, 3, 1, 1, false, true, true},    // Cin 20 = 16 + 4, residual + ReLU
        {1, 2, 36, 9, 7, 40, 3, 2, 1, false, false, true},   // stride 2, odd sizes, 3 channel blocks
        {3, 2, 24, 9, 7, 70, 1, 2, 0, false, false, false},  // 1x1 stride-2 projection, two channel tiles
        {2, 37, 64, 1, 1, 10, 1, 1, 0, false, false, false}, // linear layer as 1x1 on 1x1 images
        {2, 2, 16, 8, 8, 64, 3, 1, 1, false, true, true},    // whole tiles only
        {1, 3, 8, 5, 5, 16, 3, 1, 1, false, false, true},    // Cin 8: half a channel block
        {1, 3, 32, 12, 11, 33, 3, 1, 1, false, true, false}, // 396 pixels: 4 pixel tiles, 33 channels
    };
    struct {
        const char *name;
        ConvFn fn[3];
        int threads;
        double tol;
        bool act16;
    } fast_kinds[] = {{"conv2_f32", {conv2_f32_bm16, conv2_f32_bm32, conv2_f32_bm64}, 256, 1e-6, false},
                      {"conv2_tf32", {conv2_tf32_bm16, conv2_tf32_bm32, conv2_tf32_bm64}, 128, 3e-3, false},
                      {"conv2_bf16", {conv2_bf16_bm16, conv2_bf16_bm32, conv2_bf16_bm64}, 128, BF16ACT_TOL, true},
                      {"conv2_bf16f", {conv2_bf16f_bm16, conv2_bf16f_bm32, conv2_bf16f_bm64}, 128, 2e-2, false}};
    for (auto &kd : fast_kinds)
        for (auto &c : fast_cases)
            for (int i = 0; i < 3; i++) {
                const int bm = 16 << i;
                char name[32];
                std::snprintf(name, sizeof name, "%s_bm%d", kd.name, bm);
                test_conv(name, kd.fn[i], bm, kd.threads, c, kd.tol, true, kd.act16);
            }
}

// The halo kernels (conv_halo.cu): 3x3, Cin % 16 == 0, Cout <= 32, W % 4 == 0, halo within
// 256 pixels: blocks spanning 3 images, partial last blocks, 2 and 3 channel blocks, stride 2,
// pad 0, Cout < 16 and between 16 and 32 (partial row tiles), a 32x32 layer as ResNet-56's.
void test_halo_convs() {
    const ConvCase halo_cases[] = {
        {2, 3, 16, 7, 8, 10, 3, 1, 1, true, false, true},     // shared input, 3 images a block, 168 pixels
        {2, 2, 32, 9, 12, 24, 3, 1, 1, false, true, true},    // 2 channel blocks, residual + ReLU
        {2, 2, 16, 9, 8, 20, 3, 2, 1, false, false, true},    // stride 2, odd height
        {1, 2, 16, 6, 8, 16, 3, 1, 0, false, true, false},    // pad 0
        {1, 3, 48, 10, 8, 32, 3, 1, 1, false, false, true},   // 3 channel blocks, 240 pixels
        {1, 2, 16, 32, 32, 16, 3, 1, 1, false, true, true},   // ResNet-56's first stage
    };
    struct {
        const char *name;
        ConvFn fn[2];
        double tol;
        bool act16;
    } halo_kinds[] = {{"conv3_tf32", {conv3_tf32_bm16, conv3_tf32_bm32}, 3e-3, false},
                      {"conv3_bf16", {conv3_bf16_bm16, conv3_bf16_bm32}, BF16ACT_TOL, true},
                      {"conv3_bf16f", {conv3_bf16f_bm16, conv3_bf16f_bm32}, 2e-2, false}};
    for (auto &kd : halo_kinds)
        for (auto &c : halo_cases)
            for (int i = 0; i < 2; i++) {
                char name[32];
                std::snprintf(name, sizeof name, "%s_bm%d", kd.name, 16 << i);
                test_conv(name, kd.fn[i], 16 << i, 128, c, kd.tol, true, kd.act16);
            }
}

} // namespace

int main() {
    test_reference_convs();
    test_fast_convs();
    test_halo_convs();
    test_async_models();
    test_pools();
    test_bf16_activations();
    test_loss();
    test_fold(1e-5);
    test_fold(1e-3);
    if (failures) {
        std::printf("%d FAILED\n", failures);
        return 1;
    }
    std::printf("all kernels match their references\n");
    return 0;
}
