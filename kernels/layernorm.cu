// layernorm.cu: LayerNorm over the channels of each pixel (torch.nn.LayerNorm on the channel
// axis: ConvNeXt's LayerNorm2d, or a LayerNorm on an NHWC activation, which the importer keeps
// NCHW), over K weight sets at once, one thread per pixel (b, i):
//
//   μ = Σ_c x_c / C,   σ² = Σ_c (x_c − μ)² / C,   r = 1 / √(σ² + ε)
//   Out_k[b][c][i] = float( (x_c − μ)·r·γ_k[c] + β_k[c] )      x_c = In_k[b][c][i]
//
// in double, the sums in channel order, each step rounded (no FMA): cpu.LayerNormChannels'
// arithmetic, so the result is the CPU engine's bit for bit. γ_k and β_k (ones and zeros when
// the node has none) are weight set k's, at gamma/beta + k·w_set_stride (fold_weights copies
// them). Consecutive threads read consecutive pixels of one channel plane: coalesced.
//
// Layout: In at k·in_set_stride (0: the shared images), Out tight [K][B][C][HW]. Grid: x
// grid-stride over one set's B·HW pixels, z over the K sets.
#include "graph.cuh"

LS_KERNEL void layernorm_channels(const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ gamma,
                                  const float *__restrict__ beta, i64 w_set_stride, float *__restrict__ out, int B,
                                  int C, int HW, double eps) {
    const int k = blockIdx.z;
    const i64 pixels = (i64)B * HW, n = (i64)B * C * HW;
    const float *gk = gamma + k * w_set_stride, *bk = beta + k * w_set_stride;
    for (i64 p = (i64)blockIdx.x * blockDim.x + threadIdx.x; p < pixels; p += (i64)gridDim.x * blockDim.x) {
        const i64 at = p / HW * C * HW + p % HW;
        const float *x = in + k * in_set_stride + at;
        float *y = out + k * n + at;
        double mu = 0, var = 0;
        for (int c = 0; c < C; c++) mu = dadd_rn(mu, (double)x[(i64)c * HW]);
        mu = __ddiv_rn(mu, (double)C);
        for (int c = 0; c < C; c++) {
            const double d = dsub_rn((double)x[(i64)c * HW], mu);
            var = dadd_rn(var, dmul_rn(d, d));
        }
        const double r = __ddiv_rn(1.0, __dsqrt_rn(dadd_rn(__ddiv_rn(var, (double)C), eps)));
        for (int c = 0; c < C; c++) {
            const double v = dmul_rn(dmul_rn(dsub_rn((double)x[(i64)c * HW], mu), r), (double)gk[c]);
            y[(i64)c * HW] = __double2float_rn(dadd_rn(v, (double)bk[c]));
        }
    }
}
