// eltwise.cu: the element-wise layers of imported graphs, over K weight sets at once (tensors
// [K][B][C][H][W], NCHW; an input at k·*_set_stride, 0 when every set reads the same images;
// outputs tight). Grid: x grid-stride over one set's elements, z over the K sets.
//
//   activate:  Out = act(In)                                   (every enum Act of graph.cuh;
//              Out may be In, for an activation after a GEMM-kernel layer)
//   affine:    Out[b][c][i] = act( relu?( float(In[b][c][i]·s_k[c]) + t_k[c] ) )
//              a batch norm standing alone, s = γ/√(σ²+ε), t = β − μ·s folded per weight set by
//              fold_weights (weights.cu) from a row of ones: cpu.Affine's arithmetic, no FMA
//   binary:    Out = Lhs op Rhs, op a BinaryOp of graph.cuh: BINARY_ADD, BINARY_MUL, or
//              BINARY_MUL_CHANNEL Out[b][c][i] = Lhs[b][c][i] · Rhs[b][c] (squeeze-and-excitation:
//              one factor per image and channel)
//   arith:     Out[b][c][i] = In[b][c][i] ∘ v_k[c]  (v_k[c] ∘ In[b][c][i] when rev), ∘ the
//              ArithOp of graph.cuh, one float32 operation as cpu.Arith; v_k is weight set k's
//              vector at vec + k·w_set_stride (a parameter or constant, folded by fold_weights),
//              indexed as vec_mode, an ArithVec of graph.cuh, says: one value for all
//              (ARITH_VEC_ONE), one per channel (ARITH_VEC_CHANNEL), one per element stored
//              pixel-major, v_k[i·C + c] (ARITH_VEC_PIXEL: a position embedding [1, T, D] on a
//              [D, T, 1] slot, or an attention mask), or one per element gathered through an
//              index table, v_k[index[i·C + c]] (ARITH_VEC_GATHERED: Swin's relative position
//              bias, v_k its table; index uploaded once, read only in that mode)
#include "graph.cuh"

LS_KERNEL void activate(const float *in, i64 in_set_stride, float *out, i64 n, int act, float lo, float hi,
                        float alpha, float beta) {
    const int k = blockIdx.z;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x)
        out[k * n + i] = activate_one(in[k * in_set_stride + i], act, lo, hi, alpha, beta);
}

LS_KERNEL void affine(const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ scale,
                      const float *__restrict__ shift, i64 w_set_stride, float *__restrict__ out, int B, int C,
                      int HW, int relu, int act, float lo, float hi, float alpha, float beta) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HW;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const int c = (int)(i / HW % C);
        float v = add_rn(mul_rn(in[k * in_set_stride + i], scale[k * w_set_stride + c]), shift[k * w_set_stride + c]);
        if (relu && v < 0.f) v = 0.f;
        out[k * n + i] = activate_one(v, act, lo, hi, alpha, beta);
    }
}

LS_KERNEL void binary(const float *__restrict__ lhs, i64 lhs_set_stride, const float *__restrict__ rhs,
                      i64 rhs_set_stride, float *__restrict__ out, int B, int C, int HW, int op) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HW;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const float x = lhs[k * lhs_set_stride + i];
        float v;
        if (op == BINARY_ADD) v = add_rn(x, rhs[k * rhs_set_stride + i]);
        else if (op == BINARY_MUL) v = mul_rn(x, rhs[k * rhs_set_stride + i]);
        else v = mul_rn(x, rhs[k * rhs_set_stride + i / HW]);
        out[k * n + i] = v;
    }
}

LS_KERNEL void arith(const float *__restrict__ in, i64 in_set_stride, const float *__restrict__ vec,
                     i64 w_set_stride, int vec_mode, const int *__restrict__ index, float *__restrict__ out, int B, int C, int HW, int op,
                     int rev) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HW;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const float x = in[k * in_set_stride + i];
        const i64 c = i / HW % C;
        const i64 e = i % HW * C + c; // the element's pixel-major index
        const float v = vec[k * w_set_stride + (vec_mode == ARITH_VEC_GATHERED ? index[e] : vec_mode == ARITH_VEC_PIXEL ? e : vec_mode != ARITH_VEC_ONE ? c : 0)];
        const float a = rev ? v : x, b = rev ? x : v;
        float y;
        switch (op) {
        case ARITH_ADD: y = add_rn(a, b); break;
        case ARITH_SUB: y = sub_rn(a, b); break;
        case ARITH_MUL: y = mul_rn(a, b); break;
        default: y = div_rn(a, b); break;
        }
        out[k * n + i] = y;
    }
}
