// concat.cu: the layers that move whole channels, over K weight sets at once:
//
//   concat_copy:      Out_k[b][c0 + c][i] = In_k[b][c][i]        for c < C, i < HW
//                     (concatenation over channels, one input per launch; Out [K][B][Ctotal][HW])
//   gather_channels:  Out_k[b][c][i] = In_k[b][perm[c]][i]      for c < C, i < HW
//                     (a channel shuffle, Split, Slice along channels: In has Cin channels,
//                     perm[C] in device memory; Out [K][B][C][HW])
//
// Out is tight; In at k·in_set_stride (0: the shared images). Grid: x grid-stride over one set's
// B·C·HW output elements (of the input, for concat_copy), z over the K sets.
#include "common.cuh"

LS_KERNEL void concat_copy(const float *__restrict__ in, i64 in_set_stride, float *__restrict__ out, int B,
                           int C, int HW, int Ctotal, int c0) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HW;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const i64 b = i / ((i64)C * HW), r = i % ((i64)C * HW);
        out[k * (i64)B * Ctotal * HW + b * Ctotal * HW + (i64)c0 * HW + r] = in[k * in_set_stride + i];
    }
}

LS_KERNEL void gather_channels(const float *__restrict__ in, i64 in_set_stride, const int *__restrict__ perm,
                               float *__restrict__ out, int B, int Cin, int C, int HW) {
    const int k = blockIdx.z;
    const i64 n = (i64)B * C * HW;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        const i64 b = i / ((i64)C * HW), c = i / HW % C, r = i % HW;
        out[k * n + i] = in[k * in_set_stride + (b * Cin + perm[c]) * HW + r];
    }
}
