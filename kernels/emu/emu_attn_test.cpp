// emu_attn_test.cpp: runs the kernels of vision transformers (attn.cu, bmm.cu) on the host
// (emu.h) against straightforward double-precision loops: the softmax over channel groups
// (large scores that overflow exp without the max, a NaN column, a shared input), class tokens
// prepended per weight set, pixel selection, and the batched products of two activations in
// fp32, tf32 and bf16, transposed or not, on sizes that are no multiple of the MMA tiles (and
// one that is), several weight sets, heads and images. Exit status 0 when every check passes.
#include "emu.h"

#include <cstdio>
#include <random>
#include <vector>

#include "kernels_gen.h"

namespace {
std::mt19937 rng(19);
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

// rounded is an MMA operand as the tensor cores see it, from emu.cpp's PTX models.
double rounded(float x, int prec) {
    if (prec == 1) return __uint_as_float(emu_tf32(x));
    if (prec == 2) return __uint_as_float(emu_cvt_bf16x2(x, 0) & 0xffff0000u);
    return x;
}

// test_softmax: 3 heads of 5 channels over 7 pixels; scores near 1000 in one column (exp
// overflows without the max), a NaN in another (its head's column is NaN, nothing else).
void test_softmax(bool shared) {
    const int K = 2, B = 2, heads = 3, G = 5, C = heads * G, HW = 7;
    const i64 n = (i64)B * C * HW;
    auto x = randn(n * K, 3);
    for (int j = 0; j < G; j++) x[(i64)j * HW + 2] += 1000;
    x[(i64)(G + 1) * HW + 4] = NAN; // image 0, head 1, channel 1, pixel 4
    std::vector<float> out(n * K, -7);
    emu_launch(dim3{2, 1, K}, dim3{16, 1, 1}, [&] { softmax_heads(x.data(), shared ? 0 : n, out.data(), B, C, HW, heads); });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < heads; h++)
                for (int p = 0; p < HW; p++) {
                    auto at = [&](int j) { return ((i64)b * C + h * G + j) * HW + p; };
                    const float *xk = x.data() + (shared ? 0 : k * n);
                    double m = -INFINITY, s = 0;
                    bool nan = false;
                    for (int j = 0; j < G; j++) nan |= std::isnan(xk[at(j)]), m = std::max(m, (double)xk[at(j)]);
                    for (int j = 0; j < G; j++) s += std::exp(xk[at(j)] - m);
                    for (int j = 0; j < G; j++) want[k * n + at(j)] = nan ? NAN : std::exp(xk[at(j)] - m) / s;
                }
    check(shared ? "softmax_heads 3 heads x 5, shared input" : "softmax_heads 3 heads x 5, large and NaN scores", want, out, 1e-7);
}

// test_cat_tokens: 2 tokens [1, 2, C] per weight set before 6 tokens, one image shared.
void test_cat_tokens() {
    const int K = 3, B = 2, C = 5, HWin = 6, kt = 2, HW = HWin + kt;
    const i64 in_set = (i64)B * C * HWin, w_set = kt * C + 3, n = (i64)B * C * HW;
    auto x = randn(in_set * K), tok = randn(w_set * K);
    for (int shared = 0; shared < 2; shared++) {
        std::vector<float> out(n * K, NAN);
        emu_launch(dim3{1, 1, K}, dim3{32, 1, 1}, [&] {
            cat_tokens(x.data(), shared ? 0 : in_set, tok.data(), w_set, out.data(), B, C, HWin, kt);
        });
        std::vector<double> want(out.size());
        for (int k = 0; k < K; k++)
            for (int b = 0; b < B; b++)
                for (int c = 0; c < C; c++)
                    for (int p = 0; p < HW; p++)
                        want[k * n + ((i64)b * C + c) * HW + p] =
                            p < kt ? tok[k * w_set + p * C + c] : x[(shared ? 0 : k * in_set) + ((i64)b * C + c) * HWin + p - kt];
        check(shared ? "cat_tokens 2 tokens, shared input" : "cat_tokens 2 tokens per set", want, out, 0);
    }
}

// test_gather_pixels: pixels 0, 5, 0 of 6 (a repeated one) and two zeros (Swin's padding).
void test_gather_pixels() {
    const int K = 2, B = 3, C = 4, HWin = 6, HWout = 5;
    const int perm[HWout] = {0, -1, 5, 0, -1};
    const i64 in_set = (i64)B * C * HWin, n = (i64)B * C * HWout;
    auto x = randn(in_set * K);
    std::vector<float> out(n * K, NAN);
    emu_launch(dim3{1, 1, K}, dim3{8, 1, 1}, [&] { gather_pixels(x.data(), in_set, perm, out.data(), B, C, HWin, HWout); });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (i64 bc = 0; bc < (i64)B * C; bc++)
            for (int j = 0; j < HWout; j++) want[k * n + bc * HWout + j] = perm[j] < 0 ? 0 : x[k * in_set + bc * HWin + perm[j]];
    check("gather_pixels 0, -1, 5, 0, -1 of 6", want, out, 0);
}

typedef decltype(&matmul_heads) BmmFn;

// test_bmm: Out_kbgw = op(P_kbgw)·A_kbgw for every (set, image, head, window of W), against a
// double loop over the operands rounded as prec says; the a operand shared by the sets when asked.
void test_bmm(const char *name, BmmFn fn, int prec, int heads, int M, int N, int Kd, bool trans, bool shared_a, double tol,
              int W) {
    const int K = 2, B = 2;
    const i64 a_set = (i64)B * heads * Kd * M * W, p_set = (i64)B * heads * N * Kd * W, o_set = (i64)B * heads * N * M * W;
    const i64 ldp = (trans ? N : Kd) * W; // P's pixels per channel
    auto a = randn(a_set * K), p = randn(p_set * K);
    std::vector<float> out(o_set * K, NAN);
    const bool mma = prec != 0;
    const i64 blocks = mma ? (i64)B * W * heads * ((N + 63) / 64) * ((M + 63) / 64) : std::min<i64>((o_set + 127) / 128, 3);
    emu_launch(dim3{(unsigned)blocks, 1, K}, dim3{128, 1, 1}, [&] {
        fn(a.data(), shared_a ? 0 : a_set, p.data(), p_set, out.data(), B, heads, M, N, Kd, trans, W);
    });
    std::vector<double> want(out.size());
    for (int k = 0; k < K; k++)
        for (int bg = 0; bg < B * heads; bg++)
            for (int w = 0; w < W; w++)
                for (int i = 0; i < N; i++)
                    for (int j = 0; j < M; j++) {
                        double s = 0;
                        for (int l = 0; l < Kd; l++) {
                            const float pv = p[k * p_set + (i64)bg * N * Kd * W + w * ldp / W + (trans ? l * ldp + i : i * ldp + l)];
                            const float av = a[(shared_a ? 0 : k * a_set) + ((i64)bg * Kd + l) * M * W + w * M + j];
                            s += rounded(pv, prec) * rounded(av, prec);
                        }
                        want[k * o_set + ((i64)bg * N + i) * M * W + w * M + j] = s;
                    }
    char what[112];
    std::snprintf(what, sizeof what, "%s %d heads N %d M %d Kd %d W %d%s%s", name, heads, N, M, Kd, W, trans ? " trans" : "",
                  shared_a ? " shared" : "");
    check(what, want, out, tol);
}
} // namespace

int main() {
    test_softmax(false);
    test_softmax(true);
    test_cat_tokens();
    test_gather_pixels();
    const struct {
        int heads, M, N, Kd;
        bool trans;
        int W;
    } shapes[] = {
        {2, 17, 17, 16, true, 1},  // Q·Kᵀ of a small ViT: 17 tokens, head width 16
        {2, 17, 16, 17, false, 1}, // A·V
        {3, 9, 5, 7, true, 1},     // nothing a multiple of a tile
        {1, 64, 64, 32, false, 1}, // whole tiles
        {2, 70, 66, 40, true, 1},  // two tiles each way, the second partial; K-steps of 16 and a partial one
        {2, 9, 9, 4, true, 4},     // Swin: Q·Kᵀ in 4 windows of 3×3 tokens, head width 4
        {2, 9, 4, 9, false, 4},    // A·V per window
        {1, 49, 49, 32, true, 3},  // swin_t's 7×7 windows
        {1, 70, 20, 18, false, 2}, // a window over two tiles of j, a partial K-step
    };
    for (auto &s : shapes) {
        test_bmm("matmul_heads", matmul_heads, 0, s.heads, s.M, s.N, s.Kd, s.trans, false, 1e-6, s.W);
        test_bmm("matmul_heads_tf32", matmul_heads_tf32, 1, s.heads, s.M, s.N, s.Kd, s.trans, false, 1e-6, s.W);
        test_bmm("matmul_heads_bf16", matmul_heads_bf16, 2, s.heads, s.M, s.N, s.Kd, s.trans, s.trans, 1e-6, s.W);
    }
    if (failures) {
        std::printf("%d FAILED\n", failures);
        return 1;
    }
    std::printf("all attention kernels match their references\n");
    return 0;
}
