// pool_window.cu: max and average pooling over any window (imported graphs: kernel KH×KW, strides,
// pads on each side, dilation for max, ceil mode sized by the host: OH, OW as model.Window.OutSize),
// over K weight sets at once, one thread per output element:
//
//   max:  Out[n][c][oy][ox] = max_{kh<KH, kw<KW, iy, ix inside} In[n][c][iy][ix],
//         iy = oy·SH − PadT + kh·DH, ix = ox·SW − PadL + kw·DW  (a NaN in the window gives NaN)
//   avg:  Out = float( Σ double(In) over the window clipped to the input / size ), the sum in
//         row order, size = the window clipped to the padded input (H + PadB, W + PadR) when
//         count_pad, else the number of input pixels in it
//
// which is cpu.PoolWindow's arithmetic. In at k·in_set_stride (0: the shared images), Out tight
// [K][B][C][OH][OW]. Grid: x grid-stride over one set's B·C·OH·OW outputs, z over the K sets.
#include "common.cuh"

LS_KERNEL void pool_window(const float *__restrict__ in, i64 in_set_stride, float *__restrict__ out, int B, int C,
                           int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PadT,
                           int PadL, int PadB, int PadR, int avg, int count_pad) {
    const int k = blockIdx.z;
    const i64 total = (i64)B * C * OH * OW;
    for (i64 o = (i64)blockIdx.x * blockDim.x + threadIdx.x; o < total; o += (i64)gridDim.x * blockDim.x) {
        const int ox = (int)(o % OW), oy = (int)(o / OW % OH);
        const float *p = in + k * in_set_stride + o / ((i64)OH * OW) * H * W;
        const int y0 = oy * SH - PadT, x0 = ox * SW - PadL;
        float v;
        if (avg) {
            int ye = min(y0 + KH, H + PadB), xe = min(x0 + KW, W + PadR);
            int size = (ye - y0) * (xe - x0);
            const int ys = y0 > 0 ? y0 : 0, xs = x0 > 0 ? x0 : 0;
            ye = min(ye, H);
            xe = min(xe, W);
            if (!count_pad) size = (ye - ys) * (xe - xs);
            double s = 0;
            for (int y = ys; y < ye; y++)
                for (int x = xs; x < xe; x++) s += (double)p[y * W + x];
            v = __double2float_rn(s / size);
        } else {
            v = -__int_as_float(0x7f800000); // −∞
            for (int kh = 0; kh < KH; kh++) {
                const int y = y0 + kh * DH;
                if (y < 0 || y >= H) continue;
                for (int kw = 0; kw < KW; kw++) {
                    const int x = x0 + kw * DW;
                    if (x < 0 || x >= W) continue;
                    const float u = p[y * W + x];
                    if (u > v || u != u) v = u;
                }
            }
        }
        out[k * total + o] = v;
    }
}
