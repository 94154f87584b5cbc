// emu.cpp: the host runtime behind emu.h.
#include "emu.h"

#include <barrier>
#include <cstdint>
#include <stdexcept>
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

// Per-warp staging of ldmatrix row addresses.
struct RowStage {
    const void *row[32];
};
std::vector<RowStage> row_stages;

// A thread's cp.async copies not yet complete: group 0 = not yet committed.
struct Copy {
    void *dst;
    const void *src;
    int cp_size, src_size;
    long group;
};
thread_local std::vector<Copy> pending;
thread_local long committed; // groups committed by this thread

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
    row_stages.assign((n + 31) / 32, RowStage{});
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

// cp.async (PTX ISA, "Data Movement and Conversion Instructions: cp.async"): "a non-blocking
// instruction which initiates an asynchronous copy operation of data from the location specified
// by source address operand src to the location specified by destination address operand dst";
// "cp-size ... can only be 4, 8 and 16"; "src-size represents the size of the data in bytes to be
// copied from src to dst and must be less than cp-size. In such case, remaining bytes in
// destination dst are filled with zeros". Modelled as: nothing is written when issued; the copy
// (src-size bytes read, the rest zeros) happens when a cp.async.wait_group completes its group,
// so a kernel that reads its destination before waiting reads the old contents, as it may on a GPU.
void emu_cp_async(void *dst, const void *src, int cp_size, int src_size) {
    if (cp_size != 4 && cp_size != 8 && cp_size != 16) throw std::logic_error("cp.async: cp-size must be 4, 8 or 16");
    if (src_size < 0 || src_size > cp_size) throw std::logic_error("cp.async: src-size larger than cp-size is undefined");
    if (reinterpret_cast<uintptr_t>(dst) % cp_size || (src_size && reinterpret_cast<uintptr_t>(src) % cp_size))
        throw std::logic_error("cp.async: address not aligned to cp-size");
    pending.push_back(Copy{dst, src, cp_size, src_size, 0});
}

// cp.async.commit_group: "commits all prior initiated but uncommitted cp.async instructions into
// a cp.async-group" (per thread).
void emu_cp_async_commit() {
    committed++;
    for (auto &c : pending)
        if (c.group == 0) c.group = committed;
}

// cp.async.wait_group N: "wait till only N or fewer of the most recent cp.async-groups are
// pending and all the prior cp.async-groups committed by the executing threads are complete".
// Copies not yet committed are not waited for.
void emu_cp_async_wait(int n) {
    std::vector<Copy> keep;
    for (auto &c : pending) {
        if (c.group != 0 && c.group <= committed - n) {
            std::memset(c.dst, 0, c.cp_size);
            if (c.src_size) std::memcpy(c.dst, c.src, c.src_size);
        } else {
            keep.push_back(c);
        }
    }
    pending.swap(keep);
}

void __trap() { throw std::logic_error("__trap: kernel aborted"); }

int emu_cp_async_pending() { return (int)pending.size(); }

// ldmatrix.sync.aligned.m8n8.x4.shared.b16 (PTX ISA, "Warp-level matrix load instruction:
// ldmatrix"): "Collectively load one or more matrices across all threads in a warp"; for .x4,
// threads 8q … 8q+7 hold the addresses of the 8 rows (16 bytes each) of matrix q, and each
// thread receives, from every matrix, the two consecutive 16-bit elements (one 32-bit word) of
// row lane/4 at column pair lane%4 (the "fragment layout for ldmatrix" figure), register q from
// matrix q. All 32 lanes must execute it (.sync.aligned): the model waits for the whole warp.
void emu_ldmatrix_x4(unsigned (&r)[4], const void *row) {
    if (reinterpret_cast<uintptr_t>(row) % 16) throw std::logic_error("ldmatrix: row address not 16-byte aligned");
    RowStage &s = row_stages[warp()];
    s.row[lane()] = row;
    warp_barriers[warp()]->arrive_and_wait();
    for (int q = 0; q < 4; q++)
        std::memcpy(&r[q], static_cast<const char *>(s.row[8 * q + lane() / 4]) + 4 * (lane() % 4), 4);
    warp_barriers[warp()]->arrive_and_wait();
}

// cvt.rn.bf16x2.f32 d, a, b (PTX ISA, "Conversion Instructions: cvt"): "two inputs a and b of
// .f32 type are converted into .f16 or .bf16 type and the converted values are packed in the
// destination register d, such that the value converted from input a is stored in the upper half
// of d and the value converted from input b is stored in the lower half of d"; .rn: round to
// nearest, ties to even. A NaN gives a NaN (here the canonical 0x7fff).
unsigned emu_cvt_bf16x2(float a, float b) {
    auto rn = [](float x) -> unsigned {
        unsigned u = __float_as_uint(x);
        if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
        return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    };
    return rn(a) << 16 | rn(b);
}
