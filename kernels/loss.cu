// loss.cu: cross-entropy and accuracy of K·B logit vectors, reduced per weight set on the device.
//
// For weight set k (one block) and images b < B with labels y_b = labels[b]:
//
//   ℓ_kb = log Σ_j exp(z_kbj − μ) + μ − z_kb,y_b,   μ = max_j z_kbj     (in double, like
//          engine.CrossEntropy; NaN counts as the largest logit and the first maximum wins)
//   loss_sum[k] += Σ_b ℓ_kb          (double)
//   loss_sq[k]  += Σ_b ℓ_kb²         (double: the squares of the same double ℓ_kb, summed in the
//                                     same order as loss_sum; a --tolerance scan's variance)
//   correct[k]  += #{b : argmax_j z_kbj = y_b}
//
// The block sums in a fixed tree order, so results are deterministic; successive image
// batches accumulate into the same sums (the host zeroes them at the start of an evaluation).
// cross_entropy_bf16 reads bf16 logits (the bf16 kernels' activations), widened exactly.
#include "common.cuh"

#define LOSS_THREADS 256

template <typename A>
__device__ __forceinline__ void cross_entropy_t(const A *__restrict__ logits, const int *__restrict__ labels, int B,
                                                int classes, double *__restrict__ loss_sum, double *__restrict__ loss_sq,
                                                i64 *__restrict__ correct) {
    __shared__ double ls[LOSS_THREADS], qs[LOSS_THREADS];
    __shared__ i64 cs[LOSS_THREADS];
    const int k = blockIdx.x, tid = threadIdx.x;
    double l = 0, q = 0;
    i64 c = 0;
    for (int b = tid; b < B; b += LOSS_THREADS) {
        const A *z = logits + ((i64)k * B + b) * classes;
        int best = 0;
        double m = act_load(z);
        for (int j = 0; j < classes; j++) {
            const double f = act_load(z + j);
            if (m != m) break;
            if (f > m || f != f) m = f, best = j;
        }
        double e = 0;
        for (int j = 0; j < classes; j++) e += exp((double)act_load(z + j) - m);
        const int y = labels[b];
        const double li = log(e) + m - (double)act_load(z + y);
        l += li;
        q += li * li;
        c += best == y;
    }
    ls[tid] = l;
    qs[tid] = q;
    cs[tid] = c;
    __syncthreads();
    for (int h = LOSS_THREADS / 2; h > 0; h /= 2) {
        if (tid < h) ls[tid] += ls[tid + h], qs[tid] += qs[tid + h], cs[tid] += cs[tid + h];
        __syncthreads();
    }
    if (tid == 0) loss_sum[k] += ls[0], loss_sq[k] += qs[0], correct[k] += cs[0];
}

LS_KERNEL void __launch_bounds__(LOSS_THREADS)
    cross_entropy(const float *__restrict__ logits, const int *__restrict__ labels, int B, int classes,
                  double *__restrict__ loss_sum, double *__restrict__ loss_sq, i64 *__restrict__ correct) {
    cross_entropy_t(logits, labels, B, classes, loss_sum, loss_sq, correct);
}
LS_KERNEL void __launch_bounds__(LOSS_THREADS)
    cross_entropy_bf16(const bf16s *__restrict__ logits, const int *__restrict__ labels, int B, int classes,
                       double *__restrict__ loss_sum, double *__restrict__ loss_sq, i64 *__restrict__ correct) {
    cross_entropy_t(logits, labels, B, classes, loss_sum, loss_sq, correct);
}
