// weights.cu: weight sets made on the device, so that only (α_k, β_k) cross PCIe per point.
//
// combine:  W_k = θ + (α_k·δ + β_k·η), each product and sum rounded to float32 separately (no
//           FMA), which is engine.Problem.WeightsAt's arithmetic; entries without a direction
//           hold zeros in δ/η.
// fold:     for each conv/linear layer and output channel c, with s_c = γ_c / √(σ²_c + 1e-5):
//             W'_k[c][i] = float( double(W_k[c][i]) · s_c )      (at i's tap-major place for
//                                                              layers of the fast kernels)
//             b'_k[c]    = float( (b_c − μ_c)·s_c + β_c )        (s_c = 1, b'_c = b_c without BN)
//           in double, as model.Layer.Fold, so the folded weights are bit-identical to the CPU's.
// filter_normalize: for each row i (a filter: the slice of dimension 0) of a direction d and the
//           weights w, d_i ← d_i · float( ‖w_i‖ / (‖d_i‖ + 1e−10) )   (norms in double),
//           the "filter" normalisation of package direction.
#include "common.cuh"

// FoldLayer is one row of fold's layer table (int32 fields, offsets into the raw parameter
// vector θ/δ/η and into one weight set's folded vector). Keep in step with gpu/layout.go and gpu/hostfold.go.
enum FoldField {
    F_W,       // raw offset of W [cout][per]
    F_BIAS,    // raw offset of the conv/linear bias, or −1
    F_GAMMA,   // raw offsets of the batch norm's weight, bias, running_mean, running_var, or −1
    F_BETA,
    F_MEAN,
    F_VAR,
    F_PER,     // weights per output channel
    F_COUT,    // output channels
    F_WOUT,    // folded offset of W'
    F_BOUT,    // folded offset of b'
    F_FIRST,   // index of the layer's first channel among all layers' channels
    F_TAPS,    // > 0: write W' tap-major for the fast kernels: W'[c][i = ci·taps + tap] goes to
               // [c][tap·(per/taps) + ci] (conv_fast.cu); 0: PyTorch's order
    F_FIELDS
};

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
        scale = __ddiv_rn(g, __dsqrt_rn(dadd_rn(v, 1e-5)));
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

#define NORM_THREADS 256

// block_sum returns the sum of v over the block (every thread gets it).
__device__ double block_sum(double v, double *sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int h = NORM_THREADS / 2; h > 0; h /= 2) {
        if (threadIdx.x < h) sh[threadIdx.x] += sh[threadIdx.x + h];
        __syncthreads();
    }
    const double s = sh[0];
    __syncthreads();
    return s;
}

// filter_normalize: one block of NORM_THREADS per row; d and w are [rows][per].
LS_KERNEL void __launch_bounds__(NORM_THREADS)
    filter_normalize(float *__restrict__ d, const float *__restrict__ w, int per) {
    __shared__ double sh[NORM_THREADS];
    float *dr = d + (i64)blockIdx.x * per;
    const float *wr = w + (i64)blockIdx.x * per;
    double sd = 0, sw = 0;
    for (int i = threadIdx.x; i < per; i += NORM_THREADS) {
        sd += (double)dr[i] * dr[i];
        sw += (double)wr[i] * wr[i];
    }
    sd = block_sum(sd, sh);
    sw = block_sum(sw, sh);
    const float f = (float)(sqrt(sw) / (sqrt(sd) + 1e-10));
    for (int i = threadIdx.x; i < per; i += NORM_THREADS) dr[i] = mul_rn(dr[i], f);
}
