// weights.cu: weight sets made on the device, so that only (α_k, β_k) cross PCIe per point.
//
// combine:  W_k = θ + (α_k·δ + β_k·η), each product and sum rounded to float32 separately (no
//           FMA), which is engine.Problem.WeightsAt's arithmetic; entries without a direction
//           hold zeros in δ/η.
// fold:     for each conv/linear layer and output channel c, with s_c = γ_c / √(σ²_c + ε):
//             W'_k[c][i] = float( double(W_k[c][i]) · s_c )      (at i's tap-major place for
//                                                              layers of the fast kernels)
//             b'_k[c]    = float( (b_c − μ_c)·s_c + β_c )        (s_c = 1, b'_c = b_c without BN)
//           in double, as model.Layer.Fold, so the folded weights are bit-identical to the CPU's;
//           ε is the layer's own (table field F_EPS_LO/HI, a double), 1e-5 unless its node says
//           otherwise.
#include "common.cuh"
#include "fold.cuh"

__device__ __forceinline__ float combine(const float *theta, const float *dx, const float *dy,
                                         float a, float b, int i) {
    return add_rn(theta[i], add_rn(mul_rn(a, dx[i]), mul_rn(b, dy[i])));
}

// fold_weights: grid (total channels, K), any block size. ab holds (α_k, β_k) as float32 pairs;
// weight set k's folded vector starts at folded + k·fold_stride.
LS_KERNEL void fold_weights(const float *__restrict__ theta, const float *__restrict__ dx,
                            const float *__restrict__ dy, const float *__restrict__ ab,
                            const int *__restrict__ table, int layers, float *__restrict__ folded,
                            i64 fold_stride) {
    const int k = blockIdx.y, ch = blockIdx.x;
    int l = 0;
    while (l + 1 < layers && table[(l + 1) * F_FIELDS + F_FIRST] <= ch) l++;
    const int *t = table + l * F_FIELDS;
    const int c = ch - t[F_FIRST], per = t[F_PER];
    const float a = ab[2 * k], b = ab[2 * k + 1];

    double scale = 1, shift = t[F_BIAS] >= 0 ? (double)combine(theta, dx, dy, a, b, t[F_BIAS] + c) : 0;
    if (t[F_GAMMA] >= 0) {
        const double g = combine(theta, dx, dy, a, b, t[F_GAMMA] + c);
        const double beta = combine(theta, dx, dy, a, b, t[F_BETA] + c);
        const double mu = combine(theta, dx, dy, a, b, t[F_MEAN] + c);
        const double v = combine(theta, dx, dy, a, b, t[F_VAR] + c);
        const double eps = __hiloint2double(t[F_EPS_HI], t[F_EPS_LO]);
        scale = __ddiv_rn(g, __dsqrt_rn(dadd_rn(v, eps)));
        shift = dadd_rn(dmul_rn(dsub_rn(shift, mu), scale), beta);
    }
    float *out = folded + k * fold_stride;
    const int w0 = t[F_W] + c * per, o0 = t[F_WOUT] + c * per, taps = t[F_TAPS];
    for (int i = threadIdx.x; i < per; i += blockDim.x) {
        const int o = taps > 0 ? i % taps * (per / taps) + i / taps : i;
        out[o0 + o] = __double2float_rn(dmul_rn((double)combine(theta, dx, dy, a, b, w0 + i), scale));
    }
    if (threadIdx.x == 0) out[t[F_BOUT] + c] = __double2float_rn(shift);
}
