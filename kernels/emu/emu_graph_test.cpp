// emu_graph_test.cpp: runs the kernels of imported graphs (conv_direct.cu, eltwise.cu,
// concat.cu, layernorm.cu, pool_window.cu) on the host (emu.h) against straightforward
// double-precision loops,
// on random inputs with edge sizes: odd channel counts, groups and depthwise, dilation, strides,
// asymmetric padding, ceil-mode windows, shared inputs (set stride 0), several weight sets, grids
// too small for one pass (the grid-stride loops). Exit status 0 when every check passes.
#include "emu.h"

#include <cstdio>
#include <random>
#include <vector>

#include "kernels_gen.h" // every kernel's prototype, generated from the .cu signatures
#define LS_EMULATE
#include "graph.cuh" // the codes: enum Act, ArithOp

typedef decltype(&conv_f32_bm16) GemmFn; // every GEMM conv kernel has CONV_PARAMS

namespace {
std::mt19937 rng(11);
int failures = 0;

std::vector<float> randn(size_t n, float scale = 1) {
    std::normal_distribution<float> d(0, scale);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

// check compares got with want: relative L2 error within tol, NaN exactly where want has one.
void check(const char *what, const std::vector<double> &want, const std::vector<float> &got, double tol) {
    double num = 0, den = 0;
    bool nan = want.size() != got.size();
    for (size_t i = 0; i < want.size() && !nan; i++) {
        if (std::isnan(want[i]) != std::isnan((double)got[i])) nan = true;
        if (std::isnan(want[i])) continue;
        num += (got[i] - want[i]) * (got[i] - want[i]);
        den += want[i] * want[i];
    }
    const double rel = std::sqrt(num / (den > 0 ? den : 1));
    const bool ok = !nan && rel <= tol;
    std::printf("%-4s %-60s rel %.3g (tol %.g)%s\n", ok ? "ok" : "FAIL", what, rel, tol, nan ? " NaN/size mismatch" : "");
    failures += !ok;
}

// out_len is model.Window.OutSize's formula, written again: floor or ceil, and a ceil-mode
// window may not start in the right padding.
int out_len(int n, int k, int s, int d, int lo, int hi, bool ceil) {
    const int span = n + lo + hi - d * (k - 1) - 1;
    if (span < 0) return 0;
    int o = span / s + 1;
    if (ceil && span % s != 0 && o * s < n + lo) o++;
    return o;
}

// The operand rounding of the reduced precisions, from the PTX instruction models of emu.cpp.
double rounded(float x, int prec) {
    if (prec == 1) return __uint_as_float(emu_tf32(x));
    if (prec == 2) return __uint_as_float(emu_cvt_bf16x2(x, 0) & 0xffff0000u);
    return x;
}

// act_ref is each activation's definition (PyTorch's), in double; NaN stays NaN.
double act_ref(double v, int act, double lo, double hi, double alpha, double beta = 0) {
    auto clamp01 = [](double t) { return std::isnan(t) ? t : std::min(std::max(t, 0.0), 1.0); };
    switch (act) {
    case ACT_RELU: return v < 0 ? 0 : v;
    case ACT_CLIP: return std::isnan(v) ? v : std::min(std::max(v, lo), hi);
    case ACT_LEAKY: return v < 0 ? alpha * v : v;
    case ACT_SIGMOID: return 1 / (1 + std::exp(-v));
    case ACT_HARDSIGMOID: return clamp01(alpha * v + beta);
    case ACT_HARDSWISH: return v * clamp01(v / 6 + 0.5);
    case ACT_SILU: return v / (1 + std::exp(-v));
    case ACT_GELU: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case ACT_GELU_TANH: return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    case ACT_TANH: return std::tanh(v);
    }
    return v;
}

struct ConvCase {
    const char *what;
    int K, B, Cin, H, W, Cout, KH, KW, SH, SW, DH, DW, PadT, PadL, PadB, PadR, G;
    bool shared, residual, relu;
    int act;
};

void test_conv_direct(const ConvCase &c, int prec) {
    const int OH = out_len(c.H, c.KH, c.SH, c.DH, c.PadT, c.PadB, false);
    const int OW = out_len(c.W, c.KW, c.SW, c.DW, c.PadL, c.PadR, false);
    const int cg = c.Cin / c.G, og = c.Cout / c.G, per = cg * c.KH * c.KW;
    const i64 in_img = (i64)c.B * c.Cin * c.H * c.W, out_set = (i64)c.B * c.Cout * OH * OW;
    const i64 w_set = (i64)c.Cout * per + c.Cout + 5;
    auto in = randn(c.shared ? in_img : in_img * c.K);
    auto w = randn(w_set * c.K, 0.4f), res = randn(out_set * c.K);
    std::vector<float> out(out_set * c.K, NAN);
    const float lo = -0.5f, hi = 0.75f, alpha = 0.1f, beta = 0.3f;
    emu_launch(dim3{3, 1, (unsigned)c.K}, dim3{64, 1, 1}, [&] {
        conv_direct(in.data(), c.shared ? 0 : in_img, w.data(), w.data() + (i64)c.Cout * per, w_set,
                    c.residual ? res.data() : nullptr, out.data(), c.B, c.Cin, c.H, c.W, c.Cout, OH, OW, c.KH, c.KW,
                    c.SH, c.SW, c.DH, c.DW, c.PadT, c.PadL, c.G, prec, c.relu, c.act, lo, hi, alpha, beta);
    });
    std::vector<double> want(out.size());
    for (int k = 0; k < c.K; k++)
        for (int b = 0; b < c.B; b++)
            for (int m = 0; m < c.Cout; m++)
                for (int oy = 0; oy < OH; oy++)
                    for (int ox = 0; ox < OW; ox++) {
                        const float *wk = w.data() + k * w_set;
                        double s = wk[(i64)c.Cout * per + m];
                        for (int ci = 0; ci < cg; ci++)
                            for (int kh = 0; kh < c.KH; kh++)
                                for (int kw = 0; kw < c.KW; kw++) {
                                    const int iy = oy * c.SH - c.PadT + kh * c.DH, ix = ox * c.SW - c.PadL + kw * c.DW;
                                    if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
                                    const int cin = m / og * cg + ci;
                                    const float x = in[(c.shared ? 0 : k * in_img) + (((i64)b * c.Cin + cin) * c.H + iy) * c.W + ix];
                                    s += rounded(wk[(i64)m * per + (ci * c.KH + kh) * c.KW + kw], prec) * rounded(x, prec);
                                }
                        const i64 o = k * out_set + (((i64)b * c.Cout + m) * OH + oy) * OW + ox;
                        if (c.residual) s += res[o];
                        if (c.relu && s < 0) s = 0;
                        want[o] = act_ref(s, c.act, lo, hi, alpha, beta);
                    }
    char name[96];
    std::snprintf(name, sizeof name, "conv_direct %s %s", c.what, prec == 0 ? "f32" : prec == 1 ? "tf32" : "bf16");
    check(name, want, out, 2e-6);
}

void test_eltwise() {
    const int K = 3, B = 2, C = 5, HW = 7 * 3;
    const i64 n = (i64)B * C * HW;
    auto x = randn(n * K, 3);
    x[4] = NAN;
    const float lo = 0, hi = 6, alpha = 0.2f, beta = 0.4f;
    for (int act = ACT_RELU; act <= ACT_TANH; act++)
        for (int shared = 0; shared < 2; shared++) {
            std::vector<float> out(n * K, -7);
            emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] { activate(x.data(), shared ? 0 : n, out.data(), n, act, lo, hi, alpha, beta); });
            std::vector<double> want(out.size());
            for (int k = 0; k < K; k++)
                for (i64 i = 0; i < n; i++) want[k * n + i] = act_ref(x[(shared ? 0 : k * n) + i], act, lo, hi, alpha, beta);
            char name[64];
            std::snprintf(name, sizeof name, "activate act %d%s", act, shared ? " shared input" : "");
            check(name, want, out, 1e-7);
        }
    // In place, as after a GEMM-kernel layer.
    auto y = x;
    emu_launch(dim3{1, 1, K}, dim3{128, 1, 1}, [&] { activate(y.data(), n, y.data(), n, ACT_CLIP, lo, hi, alpha, beta); });
    std::vector<double> want(y.size());
    for (size_t i = 0; i < y.size(); i++) want[i] = act_ref(x[i], ACT_CLIP, lo, hi, alpha);
    check("activate clip in place", want, y, 0);

    // affine: per-channel scale and shift of each weight set, then ReLU or an activation.
    const i64 w_set = 2 * C + 3;
    auto st = randn(w_set * K);
    for (int relu = 0; relu < 2; relu++)
        for (int act : {ACT_NONE, ACT_LEAKY, ACT_HARDSWISH}) {
            std::vector<float> out(n * K, NAN);
            emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] {
                affine(x.data(), n, st.data(), st.data() + C, w_set, out.data(), B, C, HW, relu, act, lo, hi, alpha, beta);
            });
            std::vector<double> want(out.size());
            for (int k = 0; k < K; k++)
                for (i64 i = 0; i < n; i++) {
                    const int c = i / HW % C;
                    double v = (double)(x[k * n + i] * st[k * w_set + c]) + st[k * w_set + C + c];
                    if (relu && v < 0) v = 0;
                    want[k * n + i] = act_ref(v, act, lo, hi, alpha, beta);
                }
            char name[64];
            std::snprintf(name, sizeof name, "affine relu %d act %d", relu, act);
            check(name, want, out, 1e-7);
        }

    // binary: add, multiply, per-(image, channel) multiply, one operand shared.
    auto z = randn(n * K);
    for (int op = BINARY_ADD; op <= BINARY_MUL_CHANNEL; op++) {
        std::vector<float> out(n * K, NAN);
        const i64 zs = op == BINARY_MUL_CHANNEL ? B * C : n;
        emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] { binary(x.data(), 0, z.data(), zs, out.data(), B, C, HW, op); });
        std::vector<double> want(out.size());
        for (int k = 0; k < K; k++)
            for (i64 i = 0; i < n; i++) {
                const double a = x[i];
                want[k * n + i] = op == BINARY_ADD   ? a + z[k * n + i]
                                 : op == BINARY_MUL ? a * z[k * n + i]
                                                    : a * z[k * zs + i / HW];
            }
        char name[64];
        std::snprintf(name, sizeof name, "binary op %d (left operand shared)", op);
        check(name, want, out, 1e-7);
    }
}

// test_arith: every operator, reversed or not, by one value, one per channel, one per element
// (pixel-major) or one per element gathered through an index table (a relative position bias:
// a table of 7 values, each read many times, in an order unlike the elements') of each weight
// set, the input shared or per set: one float32 operation, so exactly the double result rounded.
void test_arith() {
    const int K = 3, B = 2, C = 5, HW = 4 * 3;
    const i64 n = (i64)B * C * HW, w_set = C * HW + 2;
    auto x = randn(n * K, 2), v = randn(w_set * K);
    std::vector<int> index(C * HW);
    for (int e = 0; e < C * HW; e++) index[e] = (e * 5 + e / 7) % 7;
    for (int op = ARITH_ADD; op <= ARITH_DIV; op++)
        for (int rev = 0; rev < 2; rev++)
            for (int mode = ARITH_VEC_ONE; mode <= ARITH_VEC_GATHERED; mode++) {
                const int shared = (op + rev) % 2;
                std::vector<float> out(n * K, NAN);
                emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] {
                    arith(x.data(), shared ? 0 : n, v.data(), w_set, mode, index.data(), out.data(), B, C, HW, op, rev);
                });
                std::vector<double> want(out.size());
                for (int k = 0; k < K; k++)
                    for (i64 i = 0; i < n; i++) {
                        const i64 e = i % HW * C + i / HW % C;
                        const double xi = x[(shared ? 0 : k * n) + i],
                                     vi = v[k * w_set + (mode == ARITH_VEC_GATHERED ? index[e]
                                                          : mode == ARITH_VEC_PIXEL  ? e
                                                          : mode == ARITH_VEC_CHANNEL ? i / HW % C
                                                                                      : 0)];
                        const double a = rev ? vi : xi, b = rev ? xi : vi;
                        want[k * n + i] = (float)(op == ARITH_ADD ? a + b : op == ARITH_SUB ? a - b : op == ARITH_MUL ? a * b : a / b);
                    }
                char name[96];
                std::snprintf(name, sizeof name, "arith op %d rev %d vec_mode %d%s", op, rev, mode, shared ? " shared input" : "");
                check(name, want, out, 0);
            }
}

// test_layernorm: LayerNorm over the channels of every pixel, γ and β per weight set; one pixel
// with equal channels (σ² = 0: ε alone), a shared input, a grid smaller than the pixels.
void test_layernorm() {
    const int K = 2, B = 3, C = 7, HW = 5 * 4;
    const i64 n = (i64)B * C * HW, w_set = 2 * C + 1;
    auto x = randn(n * K, 3), gb = randn(w_set * K);
    for (int c = 0; c < C; c++) x[(i64)c * HW + 2] = 0.75f;
    for (const double eps : {1e-6, 1e-5}) 
        for (int shared = 0; shared < 2; shared++) {
            std::vector<float> out(n * K, NAN);
            emu_launch(dim3{1, 1, K}, dim3{16, 1, 1}, [&] {
                layernorm_channels(x.data(), shared ? 0 : n, gb.data(), gb.data() + C, w_set, out.data(), B, C, HW, eps);
            });
            std::vector<double> want(out.size());
            for (int k = 0; k < K; k++)
                for (int b = 0; b < B; b++)
                    for (int i = 0; i < HW; i++) {
                        const float *px = x.data() + (shared ? 0 : k * n) + (i64)b * C * HW + i;
                        double mu = 0, var = 0;
                        for (int c = 0; c < C; c++) mu += px[(i64)c * HW];
                        mu /= C;
                        for (int c = 0; c < C; c++) var += (px[(i64)c * HW] - mu) * (px[(i64)c * HW] - mu);
                        var /= C;
                        for (int c = 0; c < C; c++)
                            want[k * n + ((i64)b * C + c) * HW + i] =
                                (px[(i64)c * HW] - mu) / std::sqrt(var + eps) * gb[k * w_set + c] + gb[k * w_set + C + c];
                    }
            char name[64];
            std::snprintf(name, sizeof name, "layernorm_channels eps %g%s", eps, shared ? " shared input" : "");
            check(name, want, out, 1e-7);
        }
}

// test_gather: a channel shuffle (2 groups of 4) and a strided slice with a repeat, per set and shared.
void test_gather() {
    const int K = 2, B = 3, Cin = 8, HW = 3 * 5;
    const i64 in_set = (i64)B * Cin * HW;
    auto in = randn(in_set * K);
    const std::vector<std::vector<int>> perms = {{0, 4, 1, 5, 2, 6, 3, 7}, {1, 3, 5, 5}};
    for (const auto &perm : perms)
        for (int shared = 0; shared < 2; shared++) {
            const int C = (int)perm.size();
            const i64 out_set = (i64)B * C * HW;
            std::vector<float> out(out_set * K, NAN);
            emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] {
                gather_channels(in.data(), shared ? 0 : in_set, perm.data(), out.data(), B, Cin, C, HW);
            });
            std::vector<double> want(out.size());
            for (int k = 0; k < K; k++)
                for (int b = 0; b < B; b++)
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < HW; i++)
                            want[k * out_set + ((i64)b * C + c) * HW + i] = in[(shared ? 0 : k * in_set) + ((i64)b * Cin + perm[c]) * HW + i];
            char name[64];
            std::snprintf(name, sizeof name, "gather_channels %d of %d channels%s", C, Cin, shared ? " shared input" : "");
            check(name, want, out, 0);
        }
}

void test_concat() {
    const int K = 2, B = 3, HW = 5 * 4, C1 = 3, C2 = 5, Ct = C1 + C2;
    auto a = randn((i64)B * C1 * HW), b = randn((i64)K * B * C2 * HW);
    std::vector<float> out((i64)K * B * Ct * HW, NAN);
    emu_launch(dim3{1, 1, K}, dim3{32, 1, 1}, [&] { concat_copy(a.data(), 0, out.data(), B, C1, HW, Ct, 0); });
    emu_launch(dim3{2, 1, K}, dim3{64, 1, 1}, [&] { concat_copy(b.data(), (i64)B * C2 * HW, out.data(), B, C2, HW, Ct, C1); });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (int n = 0; n < B; n++)
            for (int c = 0; c < Ct; c++)
                for (int i = 0; i < HW; i++)
                    want[(((i64)k * B + n) * Ct + c) * HW + i] =
                        c < C1 ? a[((i64)n * C1 + c) * HW + i] : b[(((i64)k * B + n) * C2 + c - C1) * HW + i];
    check("concat_copy (3 shared + 5 channels, 2 sets)", want, out, 0);
}

struct PoolCase {
    const char *what;
    int H, W, KH, KW, SH, SW, DH, DW, PadT, PadL, PadB, PadR;
    bool ceil, avg, count_pad;
};

void test_pool(const PoolCase &c) {
    const int K = 2, B = 2, C = 3;
    const int OH = out_len(c.H, c.KH, c.SH, c.DH, c.PadT, c.PadB, c.ceil);
    const int OW = out_len(c.W, c.KW, c.SW, c.DW, c.PadL, c.PadR, c.ceil);
    const i64 in_set = (i64)B * C * c.H * c.W, out_set = (i64)B * C * OH * OW;
    auto in = randn(in_set * K);
    in[c.W + 1] = NAN; // a NaN in the first plane: max gives NaN where a window holds it
    std::vector<float> out(out_set * K, -9);
    emu_launch(dim3{2, 1, K}, dim3{32, 1, 1}, [&] {
        pool_window(in.data(), in_set, out.data(), B, C, c.H, c.W, OH, OW, c.KH, c.KW, c.SH, c.SW, c.DH, c.DW, c.PadT,
                    c.PadL, c.PadB, c.PadR, c.avg, c.count_pad);
    });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (int p = 0; p < B * C; p++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    const float *pl = in.data() + k * in_set + (i64)p * c.H * c.W;
                    double s = 0, m = -INFINITY;
                    int pixels = 0, padded = 0;
                    bool nan = false;
                    for (int kh = 0; kh < c.KH; kh++)
                        for (int kw = 0; kw < c.KW; kw++) {
                            const int y = oy * c.SH - c.PadT + kh * (c.avg ? 1 : c.DH);
                            const int x = ox * c.SW - c.PadL + kw * (c.avg ? 1 : c.DW);
                            if (y < c.H + c.PadB && x < c.W + c.PadR) padded++; // inside the padded input
                            if (y < 0 || y >= c.H || x < 0 || x >= c.W) continue;
                            const double v = pl[y * c.W + x];
                            pixels++;
                            s += v;
                            nan |= std::isnan(v);
                            if (v > m) m = v;
                        }
                    const i64 o = k * out_set + ((i64)p * OH + oy) * OW + ox;
                    want[o] = c.avg ? s / (c.count_pad ? padded : pixels) : nan ? NAN : m;
                }
    char name[96];
    std::snprintf(name, sizeof name, "pool_window %s %dx%d", c.what, OH, OW);
    check(name, want, out, 1e-7);
}
// test_gemm_square runs an implicit-GEMM conv kernel (conv.cu, conv_mma.cu, conv_fast.cu) on the
// square windows imported graphs bring beyond the zoo's 1x1 and 3x3: 5x5 and 7x7 kernels,
// stride 2 and 4, padding 2 and 3 (W' tap-major for the fast kernels, through the tap table
// for the reference ones), against a double-precision loop.
void test_gemm_square(const char *name, GemmFn fn, int BM, int threads, bool fast, int KS, int stride, int pad, double tol) {
    const int K = 2, B = 2, Cin = 8, H = 13, W = 11, Cout = 12;
    const int OH = (H + 2 * pad - KS) / stride + 1, OW = (W + 2 * pad - KS) / stride + 1, R = Cin * KS * KS, KK = KS * KS;
    const i64 in_set = (i64)B * Cin * H * W, out_set = (i64)B * Cout * OH * OW;
    const i64 w_set = ((i64)Cout * R + Cout + 3 + 3) / 4 * 4;
    auto in = randn(in_set * K), wb = randn(w_set * K, 0.2f);
    auto wk = wb;
    if (fast)
        for (int k = 0; k < K; k++)
            for (int m = 0; m < Cout; m++)
                for (int i = 0; i < R; i++) wk[k * w_set + (i64)m * R + i % KK * Cin + i / KK] = wb[k * w_set + (i64)m * R + i];
    std::vector<int2> taps(R);
    for (int r = 0; r < R; r++) taps[r] = int2{(r / KK * H + r / KS % KS) * W + r % KS, r / KS % KS * 65536 + r % KS};
    std::vector<float> out(out_set * K, NAN);
    dim3 grid{(unsigned)((B * OH * OW + 127) / 128), (unsigned)((Cout + BM - 1) / BM), (unsigned)K};
    emu_launch(grid, dim3{(unsigned)threads, 1, 1}, [&] {
        fn(in.data(), in_set, wk.data(), wk.data() + (i64)Cout * R, w_set, nullptr, out.data(), taps.data(), B, Cin, H, W,
           Cout, OH, OW, KS, stride, pad, 0);
    });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (int b = 0; b < B; b++)
            for (int m = 0; m < Cout; m++)
                for (int oy = 0; oy < OH; oy++)
                    for (int ox = 0; ox < OW; ox++) {
                        double s = wb[k * w_set + (i64)Cout * R + m];
                        for (int r = 0; r < R; r++) {
                            const int ci = r / KK, iy = oy * stride - pad + r / KS % KS, ix = ox * stride - pad + r % KS;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            s += (double)wb[k * w_set + (i64)m * R + r] * in[k * in_set + (((i64)b * Cin + ci) * H + iy) * W + ix];
                        }
                        want[k * out_set + (((i64)b * Cout + m) * OH + oy) * OW + ox] = s;
                    }
    char what[96];
    std::snprintf(what, sizeof what, "%s %dx%d stride %d pad %d", name, KS, KS, stride, pad);
    check(what, want, out, tol);
}
} // namespace

int main() {
    const ConvCase convs[] = {
        // what                          K  B Cin H  W Cout KH KW SH SW DH DW PT PL PB PR G shared res relu act
        {"dense 3x2 asym pad, shared in", 2, 2, 3, 11, 9, 8, 3, 2, 1, 1, 1, 1, 1, 0, 1, 1, 1, true, false, false, 0},
        {"depthwise 3x3 s2 odd 7ch relu6", 3, 2, 7, 9, 8, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 7, false, false, false, 2},
        {"groups 3 dilation 2 residual+relu", 2, 3, 9, 10, 7, 6, 3, 3, 1, 1, 2, 2, 2, 1, 2, 3, 3, false, true, true, 0},
        {"depthwise x2 (Cout=2Cin) leaky", 1, 2, 5, 6, 6, 10, 3, 1, 1, 2, 1, 3, 1, 0, 0, 2, 5, false, false, false, 3},
        {"5x5 stride (3,2) sigmoid", 2, 1, 4, 13, 12, 5, 5, 5, 3, 2, 1, 1, 2, 2, 1, 0, 1, false, false, false, 4},
        {"1x1 on 1x1 image, 1 channel", 2, 4, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, false, false, true, 0},
        {"depthwise 7x7 pad 3 gelu", 2, 1, 6, 8, 9, 6, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 6, false, false, false, ACT_GELU},
        {"dense 3x3 hardsigmoid residual", 1, 2, 4, 6, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false, true, false, ACT_HARDSIGMOID},
    };
    for (int prec = 0; prec < 3; prec++)
        for (auto &c : convs) test_conv_direct(c, prec);
    test_eltwise();
    test_arith();
    test_layernorm();
    test_gather();
    test_concat();
    const PoolCase pools[] = {
        // what                         H  W KH KW SH SW DH DW PT PL PB PR ceil avg cpad
        {"max 3x3 s2 pad 1 ceil", 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, false, false},
        {"max 2x2 s2 ceil odd", 7, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true, false, false},
        {"max 3x2 dilated (2,3) asym", 10, 11, 3, 2, 1, 2, 2, 3, 1, 0, 0, 2, false, false, false},
        {"avg 3x3 s2 pad 1 count_pad", 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, true, true},
        {"avg 3x3 s2 pad 1 exclude pad", 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, true, false},
        {"avg 2x2 s2 ceil count_pad", 7, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, true, true, true},
        {"avg 3x3 s2 ceil asym pad", 8, 7, 3, 3, 2, 2, 1, 1, 1, 0, 0, 1, true, true, true},
        {"avg global 6x5", 6, 5, 6, 5, 1, 1, 1, 1, 0, 0, 0, 0, false, true, false},
    };
    for (auto &c : pools) test_pool(c);
    const struct {
        int KS, stride, pad;
    } squares[] = {{5, 2, 2}, {7, 2, 3}, {5, 4, 1}};
    for (auto &q : squares) {
        test_gemm_square("conv_f32_bm16", conv_f32_bm16, 16, 256, false, q.KS, q.stride, q.pad, 2e-6);
        test_gemm_square("conv_tf32_bm32", conv_tf32_bm32, 32, 128, false, q.KS, q.stride, q.pad, 3e-3);
        test_gemm_square("conv_bf16f_bm16", conv_bf16f_bm16, 16, 128, false, q.KS, q.stride, q.pad, 2e-2);
        test_gemm_square("conv2_f32_bm16", conv2_f32_bm16, 16, 256, true, q.KS, q.stride, q.pad, 2e-6);
        test_gemm_square("conv2_tf32_bm32", conv2_tf32_bm32, 32, 128, true, q.KS, q.stride, q.pad, 3e-3);
        test_gemm_square("conv2_bf16f_bm64", conv2_bf16f_bm64, 64, 128, true, q.KS, q.stride, q.pad, 2e-2);
    }
    if (failures) {
        std::printf("%d FAILED\n", failures);
        return 1;
    }
    std::printf("all graph kernels match their references\n");
    return 0;
}
