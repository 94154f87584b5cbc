// pool.cu: the pooling layers of the zoo networks, over all K·B images of a launch at once
// (activations [K·B][C][H][W], NCHW; float32, or bf16 for the _bf16 kernels: widened to float32
// as they are read, the result rounded to bf16 as it is stored, see common.cuh).
//
//   maxpool:   Out[n][c][y][x] = max_{ky,kx < KS, y·KS+ky < H, x·KS+kx < W} In[n][c][y·KS+ky][x·KS+kx]
//              (stride = kernel size, ceil mode: OH = ⌈H/KS⌉, windows past the edge are clipped;
//              a NaN in the window gives NaN, as in PyTorch and cpu.MaxPool)
//   avgpool:   Out[n][c] = float( (Σ_{i<HW} double(In[n][c][i])) / HW )   (global average pool,
//              summed in double in the CPU engine's order, so the result is bit-identical)
//   to_bf16:   Out[i] = rn_bf16(In[i]) for i < n (the network's float32 images, once per batch,
//              for the bf16 kernels)
//
// One thread per output element, grid-stride over 64-bit indices.
#include "common.cuh"

template <typename A> __device__ __forceinline__ void maxpool_t(const A *__restrict__ in, A *__restrict__ out, i64 images, int C, int H, int W, int KS) {
    const int OH = (H + KS - 1) / KS, OW = (W + KS - 1) / KS;
    const i64 total = images * C * OH * OW;
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < total; o += (i64)gridDim.x * blockDim.x) {
        const int x = (int)(o % OW), y = (int)(o / OW % OH);
        const i64 plane = o / ((i64)OH * OW); // n·C + c
        const A *p = in + plane * H * W;
        float m = -__int_as_float(0x7f800000); // −∞
        for (int i = y * KS; i < min(y * KS + KS, H); i++)
            for (int j = x * KS; j < min(x * KS + KS, W); j++) {
                const float v = act_load(&p[i * W + j]);
                if (v > m || v != v) m = v;
            }
        act_store(&out[o], m);
    }
}

template <typename A> __device__ __forceinline__ void avgpool_t(const A *__restrict__ in, A *__restrict__ out, i64 planes, int HW) {
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < planes; o += (i64)gridDim.x * blockDim.x) {
        const A *p = in + o * HW;
        double s = 0;
        for (int i = 0; i < HW; i++) s += (double)act_load(&p[i]);
        act_store(&out[o], (float)(s / HW));
    }
}

LS_KERNEL void maxpool(const float *__restrict__ in, float *__restrict__ out, i64 images, int C, int H, int W, int KS) {
    maxpool_t(in, out, images, C, H, W, KS);
}
LS_KERNEL void maxpool_bf16(const bf16s *__restrict__ in, bf16s *__restrict__ out, i64 images, int C, int H, int W, int KS) {
    maxpool_t(in, out, images, C, H, W, KS);
}
LS_KERNEL void avgpool(const float *__restrict__ in, float *__restrict__ out, i64 planes, int HW) { avgpool_t(in, out, planes, HW); }
LS_KERNEL void avgpool_bf16(const bf16s *__restrict__ in, bf16s *__restrict__ out, i64 planes, int HW) {
    avgpool_t(in, out, planes, HW);
}

LS_KERNEL void to_bf16(const float *__restrict__ in, bf16s *__restrict__ out, i64 n) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) act_store(out + i, in[i]);
}
