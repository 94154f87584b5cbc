// emu.cpp: the host runtime behind emu.h.
#include "emu.h"

#include <barrier>
#include <memory>
#include <thread>
#include <vector>

thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace {
std::unique_ptr<std::barrier<>> block_barrier;
std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;

// Per-warp staging of mma operands: every lane publishes its fragment, then each lane reads
// the whole tile back and computes its own accumulator elements.
struct WarpStage {
    unsigned a[32][4], b[32][2];
};
std::vector<WarpStage> stages;

float tf32_value(unsigned r) { return __uint_as_float(r & 0xffffe000u); }
float bf16_value(unsigned h) { return __uint_as_float((h & 0xffffu) << 16); }

int lane() { return threadIdx.x % 32; }
int warp() { return threadIdx.x / 32; }
} // namespace

void __syncthreads() { block_barrier->arrive_and_wait(); }

void emu_launch(dim3 grid, dim3 block, const std::function<void()> &kernel) {
    gridDim = grid;
    blockDim = block;
    const unsigned n = block.x * block.y * block.z;
    block_barrier = std::make_unique<std::barrier<>>(n);
    warp_barriers.clear();
    for (unsigned w = 0; w < (n + 31) / 32; w++) warp_barriers.push_back(std::make_unique<std::barrier<>>(std::min(32u, n - 32 * w)));
    stages.assign((n + 31) / 32, WarpStage{});
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                std::vector<std::thread> threads;
                for (unsigned t = 0; t < n; t++)
                    threads.emplace_back([&, t, x, y, z] {
                        blockIdx = dim3{x, y, z};
                        threadIdx = dim3{t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                        kernel();
                    });
                for (auto &th : threads) th.join();
            }
}

// cvt.rna.tf32.f32: round to the nearest 10-bit mantissa, ties away from zero.
unsigned emu_tf32(float x) {
    unsigned u = __float_as_uint(x);
    if ((u & 0x7f800000u) == 0x7f800000u) return u; // Inf, NaN
    return (u + 0x1000u) & 0xffffe000u;
}

// m16n8k8 tf32: a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4], a3 = A[g+8][t+4]; b0 = B[t][g],
// b1 = B[t+4][g]; d0,d1 = D[g][2t,2t+1], d2,d3 = D[g+8][2t,2t+1] (g = lane/4, t = lane%4).
void emu_mma_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
    WarpStage &s = stages[warp()];
    std::memcpy(s.a[lane()], a, sizeof a);
    std::memcpy(s.b[lane()], b, sizeof b);
    warp_barriers[warp()]->arrive_and_wait();
    float A[16][8], B[8][8];
    for (int L = 0; L < 32; L++) {
        const int g = L / 4, t = L % 4;
        A[g][t] = tf32_value(s.a[L][0]);
        A[g + 8][t] = tf32_value(s.a[L][1]);
        A[g][t + 4] = tf32_value(s.a[L][2]);
        A[g + 8][t + 4] = tf32_value(s.a[L][3]);
        B[t][g] = tf32_value(s.b[L][0]);
        B[t + 4][g] = tf32_value(s.b[L][1]);
    }
    warp_barriers[warp()]->arrive_and_wait();
    const int g = lane() / 4, t = lane() % 4;
    for (int c = 0; c < 4; c++) {
        const int row = g + 8 * (c / 2), col = 2 * t + c % 2;
        for (int k = 0; k < 8; k++) d[c] += A[row][k] * B[k][col];
    }
}

// m16n8k16 bf16: a0 = A[g][2t,2t+1], a1 = A[g+8][2t,2t+1], a2 = A[g][2t+8,2t+9],
// a3 = A[g+8][2t+8,2t+9]; b0 = B[2t,2t+1][g], b1 = B[2t+8,2t+9][g]; lower column/row in bits 0-15.
void emu_mma_bf16(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
    WarpStage &s = stages[warp()];
    std::memcpy(s.a[lane()], a, sizeof a);
    std::memcpy(s.b[lane()], b, sizeof b);
    warp_barriers[warp()]->arrive_and_wait();
    float A[16][16], B[16][8];
    for (int L = 0; L < 32; L++) {
        const int g = L / 4, t = L % 4;
        for (int h = 0; h < 2; h++) {
            A[g][2 * t + h] = bf16_value(s.a[L][0] >> (16 * h));
            A[g + 8][2 * t + h] = bf16_value(s.a[L][1] >> (16 * h));
            A[g][2 * t + 8 + h] = bf16_value(s.a[L][2] >> (16 * h));
            A[g + 8][2 * t + 8 + h] = bf16_value(s.a[L][3] >> (16 * h));
            B[2 * t + h][g] = bf16_value(s.b[L][0] >> (16 * h));
            B[2 * t + 8 + h][g] = bf16_value(s.b[L][1] >> (16 * h));
        }
    }
    warp_barriers[warp()]->arrive_and_wait();
    const int g = lane() / 4, t = lane() % 4;
    for (int c = 0; c < 4; c++) {
        const int row = g + 8 * (c / 2), col = 2 * t + c % 2;
        for (int k = 0; k < 16; k++) d[c] += A[row][k] * B[k][col];
    }
}
