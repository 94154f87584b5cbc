// conv_direct.cu: direct convolution for what the implicit-GEMM kernels do not take (imported
// graphs: groups, depthwise, dilation, rectangular kernels, asymmetric padding, unequal strides),
// over K weight sets at once, one thread per output element:
//
//   Out_k[b][m][oy][ox] = act( relu?( b'_k[m]
//                    + Σ_{ci < Cin/G, kh < KH, kw < KW} r(W'_k[m][ci][kh][kw]) · r(In_k[b][g·Cin/G + ci][iy][ix])
//                    + Res_k[b][m][oy][ox] ) )
//   with g = m / (Cout/G), iy = oy·SH − PadT + kh·DH, ix = ox·SW − PadL + kw·DW (zero outside),
//
// accumulated in float32 from the bias, in the order (ci, kh, kw), each product and sum rounded
// (no FMA): cpu.GroupConv's arithmetic. r rounds the operands as the tensor-core kernels do in
// tf32/bf16 (graph.cuh); the sum stays fp32 (FFMA-free CUDA cores, no tensor cores), so reduced
// precisions here only reproduce the operand rounding, not a speed-up. The residual is added
// after the sum, then the ReLU, then the activation (act, lo, hi, alpha, beta: graph.cuh).
//
// Layout: In at k·in_set_stride (0: every set reads the same images), Out and Res tight
// [K][B][Cout][OH][OW]; W'[Cout][Cin/G][KH][KW] and b'[Cout] at k·w_set_stride. Grid: x
// grid-stride over one set's B·Cout·OH·OW outputs, z over the K sets.
#include "graph.cuh"

LS_KERNEL void conv_direct(const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ weights,
                           const float *__restrict__ bias, i64 w_set_stride, const float *__restrict__ res,
                           float *__restrict__ out, int B, int Cin, int H, int W, int Cout, int OH, int OW,
                           int KH, int KW, int SH, int SW, int DH, int DW, int PadT, int PadL, int G,
                           int prec, int relu, int act, float lo, float hi, float alpha, float beta) {
    const int k = blockIdx.z, cg = Cin / G, og = Cout / G;
    const i64 total = (i64)B * Cout * OH * OW;
    const float *wk = weights + k * w_set_stride, *bk = bias + k * w_set_stride;
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < total; o += (i64)gridDim.x * blockDim.x) {
        const int ox = (int)(o % OW), oy = (int)(o / OW % OH), m = (int)(o / ((i64)OW * OH) % Cout);
        const int b = (int)(o / ((i64)OW * OH * Cout));
        const float *img = in + k * in_set_stride + ((i64)b * Cin + (i64)(m / og) * cg) * H * W;
        const float *wm = wk + (i64)m * cg * KH * KW;
        float acc = bk[m];
        for (int ci = 0; ci < cg; ci++)
            for (int kh = 0; kh < KH; kh++) {
                const int iy = oy * SH - PadT + kh * DH;
                if (iy < 0 || iy >= H) continue;
                for (int kw = 0; kw < KW; kw++) {
                    const int ix = ox * SW - PadL + kw * DW;
                    if (ix < 0 || ix >= W) continue;
                    acc = add_rn(acc, mul_rn(round_operand(wm[(ci * KH + kh) * KW + kw], prec),
                                             round_operand(img[((i64)ci * H + iy) * W + ix], prec)));
                }
            }
        const i64 at = k * total + o;
        if (res) acc = add_rn(acc, res[at]);
        if (relu && acc < 0.f) acc = 0.f;
        out[at] = activate_one(acc, act, lo, hi, alpha, beta);
    }
}
