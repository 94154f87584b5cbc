// attn.cu: the token layers of vision transformers, over K weight sets at once. A token sequence
// [T, D] of an image lives in a slot [D, T, 1] (features are channels, tokens pixels:
// model/onnx_attn.go), so every tensor here is [K][B][C][HW] as everywhere else:
//
//   softmax_heads:  for each image b, head h < heads and pixel p, over the G = C/heads channels
//                   c = h·G + j of the head (attention scores: channel = head and key, pixel =
//                   query), numerically stable, cpu.SoftmaxChannels' arithmetic step for step:
//                     m = max_j x_j (float32; NaN wins)      e_j = exp(double(x_j − m))
//                     s = Σ_j e_j (double, in j order)        Out_j = float( double(float(e_j)) · (1/s) )
//                   one thread per column (b, h, p): consecutive threads read consecutive pixels
//                   of one channel plane (coalesced), and the sum's order is the CPU's.
//   cat_tokens:     Out[b][c][p] = tok_k[p·C + c] for p < kt, In[b][c][p − kt] after: kt class
//                   (or distillation) tokens prepended to HWin tokens; tok_k is weight set k's
//                   parameter [1, kt, C] (row-major, so pixel-major) at tok + k·w_set_stride,
//                   copied there by fold_weights.
//   gather_pixels:  Out[b][c][j] = In[b][c][perm[j]] for j < HWout, 0 where perm[j] < 0
//                   (class-token selection; Swin's zero padding, roll and window partition;
//                   perm[HWout] in device memory).
//
// In at k·in_set_stride (0: the shared images), Out tight. Grid: x grid-stride over one set's
// columns (softmax) or output elements, z over the K sets.
#include "graph.cuh"

LS_KERNEL void softmax_heads(const float *__restrict__ in, i64 in_set_stride, float *__restrict__ out, int B, int C,
                             int HW, int heads) {
    const int k = blockIdx.z, G = C / heads;
    const i64 cols = (i64)B * heads * HW, n = (i64)B * C * HW;
    for (i64 q = (i64)blockIdx.x * blockDim.x + threadIdx.x; q < cols; q += (i64)gridDim.x * blockDim.x) {
        const i64 b = q / ((i64)heads * HW), h = q / HW % heads, p = q % HW;
        const i64 at = (b * C + h * G) * HW + p;
        const float *x = in + k * in_set_stride + at;
        float *y = out + k * n + at;
        float m = -INFINITY;
        for (int j = 0; j < G; j++) {
            const float v = x[(i64)j * HW];
            if (m == m && (v != v || v > m)) m = v; // Go's max: a NaN wins
        }
        double s = 0;
        for (int j = 0; j < G; j++) {
            const double e = exp((double)sub_rn(x[(i64)j * HW], m));
            y[(i64)j * HW] = __double2float_rn(e);
            s = dadd_rn(s, e);
        }
        const double inv = __ddiv_rn(1.0, s);
        for (int j = 0; j < G; j++) y[(i64)j * HW] = __double2float_rn(dmul_rn((double)y[(i64)j * HW], inv));
    }
}

LS_KERNEL void cat_tokens(const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ tok,
                          i64 w_set_stride, float *__restrict__ out, int B, int C, int HWin, int kt) {
    const int k = blockIdx.z, HW = HWin + kt;
    const i64 n = (i64)B * C * HW;
    const float *tk = tok + k * w_set_stride;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const i64 bc = i / HW;
        const int p = (int)(i % HW), c = (int)(bc % C);
        out[k * n + i] = p < kt ? tk[(i64)p * C + c] : in[k * in_set_stride + bc * HWin + p - kt];
    }
}

LS_KERNEL void gather_pixels(const float *__restrict__ in, i64 in_set_stride, const int *__restrict__ perm,
                             float *__restrict__ out, int B, int C, int HWin, int HWout) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HWout;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const int p = perm[i % HWout];
        out[k * n + i] = p < 0 ? 0.f : in[k * in_set_stride + i / HWout * HWin + p];
    }
}
