#!/usr/bin/env python3
"""sass-report: what the convolution kernels spend their instructions on, without a GPU.

Usage: python3 scripts/sass-report.py [--ptx-dir kernels/ptx] [--arch sm_90]     (make sass-report)

It assembles the committed PTX for sm_90 (ptxas 11.8, as `make kernels` does), disassembles it
(cuobjdump -sass) and prints, per conv kernel (and per product kernel of bmm.cu, the ViT attention):

  regs, smem      registers per thread and static shared memory per block (cuobjdump -res-usage;
                  smem includes the 1 KiB the sm_90 runtime reserves per block)
  blocks/SM       resident blocks per SM on an H100 from threads (.maxntid in the PTX), registers
                  (allocated per warp in units of 256) and shared memory (228 KiB per SM), at most 32
  loop instr      SASS instructions in the main loop: the backward branch whose body holds the most
                  HMMA (tensor-core kernels) or FFMA (fp32 kernels), counted statically from its
                  target to the branch (every path taken: the interior-tile case)
  per MMA/FFMA    loop instructions divided by the HMMA (or FFMA) instructions in it

Then the model. A ResNet-56 forward pass on 32x32 CIFAR images (the paper's network: 55 3x3
convolutions, 2 1x1 projection shortcuts, a 64->10 linear layer; per image 2*MACs flops), each
layer run by the kernel the engine picks for it (BM = smallest of 16/32/64 >= Cout). Per layer:

  issue-limited rate = min(peak, SMs * 4 warp-instructions/clock * clock * flop per instruction)
                       * useful fraction of the reduction tiles (zero padding of the last tile:
                       R = Cin*KS*KS for the reference kernels, Cin per tap for the tap-major ones)
      flop per instruction = flop per HMMA (m16n8k8 tf32: 2048; m16n8k16 bf16: 4096) or per FFMA
                       warp instruction (64), divided by the loop's instructions per HMMA/FFMA
  DRAM time          = bytes / bandwidth, bytes = input + output (+ residual) activations, 4 bytes
                       each in fp32 and tf32, 2 in bf16 (the bf16 kernels store bf16 activations; the
                       images' conversion to bf16, once per batch, is left out with the other
                       non-conv kernels), each read or written once
                       (weights are per weight set, shared by the batch: neglected)
  layer time         = max(flops / issue-limited rate, DRAM time)

Kernel choice, as the engine's (gpu/engine.go conv2d): the reference path runs conv_*; the fast
path runs conv2_* on layers with Cin % 4 == 0 (the 3-channel stem stays on conv_*), and in tf32
and bf16 the halo kernels conv3_* on the layers gpu.HaloEligible takes (3x3, Cin % 16 == 0, Cout <= 32,
W % 4 == 0, every 128-pixel block's halo within 256 pixels, here for batches of 128 images: the
32x32 and 16x16 stride-1 convolutions of stages 1 and 2, not the stride-2 one). The halo kernels'
main loop is one channel block: its loads (each input element once, not once per tap) and all 9
taps' MMAs, counted whole, so loads are charged per HMMA as for the other kernels. Their loads are
synchronous (the block waits for them once per 9 taps): latency, which this model does not see.

The network's figure is total flops / total time. H100 SXM5: 132 SMs, 1.98 GHz boost, 4 schedulers
per SM issuing one warp-instruction per clock each, 3.35 TB/s HBM3; dense peaks: tf32 494.7,
bf16 989.4 (tensor cores), fp32 66.9 TFLOPS (FFMA). What it leaves out: occupancy and latency
(assumed hidden: blocks/SM is printed so that a kernel with too few warps shows), shared-memory
bank conflicts, L2 hit rates, the epilogue and the non-conv kernels (pools, loss, fold: about 1% of
the flops), launch gaps. It is an upper bound for what each kernel's instruction stream allows, to
compare kernels; only the device check measures.

Column "once/blk" (kernel table) and "with once/blk" (added with the halo kernels, a second, more
pessimistic figure; the "x audit" ratio stays on the loop-only figure, as the audit's baseline
was): every SASS instruction of the kernel outside its main loop (prologue, epilogue with its
per-element stores, edge-case paths; NOPs excluded) counted once per block, plus the main loop
once per iteration (reduction tiles; conv3: channel blocks), for every warp of every block
(blocks = output pixels / 128 x row tiles). Static: a path not taken is still counted, a loop
outside the main loop (the halo's zero fill, the row list) only once. It matters where the main
loop runs few times: the halo kernels on 16-channel layers run it once per block.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

SMS, CLOCK, ISSUE, BW = 132, 1.98e9, 4, 3.35e12
PEAK = {"fp32": 66.9e12, "tf32": 494.7e12, "bf16": 989.4e12}
FLOP_PER_OP = {"fp32": 64, "tf32": 2048, "bf16": 4096}
OP = {"fp32": "FFMA", "tf32": "HMMA", "bf16": "HMMA"}
KNAME = {"fp32": "f32", "tf32": "tf32", "bf16": "bf16"}
ACT_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2}  # bytes per stored activation
AUDIT = {"fp32": 20.0, "tf32": 49.0, "bf16": 38.0}  # issue 12's baseline estimate, TFLOPS
# Kernel families: name prefix, reduction tile depth BK, whether the reduction is tap-major.
PATHS = [("reference", "conv", 16, False), ("fast", "conv2", 16, True)]
BATCH, HALO_MAX = 128, 256  # images per launch; conv_halo.cu's HMAX


def halo_eligible(cin, h, w, cout, ks, stride, oh, ow):
    """gpu.HaloEligible: the tf32 halo kernels (kernels/conv_halo.cu) take the layer."""
    if ks != 3 or cin % 16 or cout > 32 or not 1 <= stride <= 3 or w % 4 or BATCH * cin * h * w >= 2 ** 31:
        return False
    npix = BATCH * oh * ow
    for n0 in range(0, npix, 128):
        q0, q1 = n0 // ow, (min(n0 + 128, npix) - 1) // ow
        rows = (q1 - q0) * stride + ks + (q1 // oh - q0 // oh) * max(0, ks - stride)
        if rows * max((ow - 1) * stride + ks, w + ks // 2) > HALO_MAX:
            return False
    return True


def resnet56():
    """(Cin, H, W, Cout, KS, stride, residual) of every conv/linear layer of ResNet-56 on 32x32."""
    layers = [(3, 32, 32, 16, 3, 1, False)]
    cin, hw = 16, 32
    for cout in (16, 32, 64):
        for blk in range(9):
            stride = 2 if blk == 0 and cout != 16 else 1
            layers.append((cin, hw, hw, cout, 3, stride, False))
            if stride == 2:
                layers.append((cin, hw, hw, cout, 1, 2, False))  # projection shortcut
                hw //= 2
            layers.append((cout, hw, hw, cout, 3, 1, True))
            cin = cout
    layers.append((64, 1, 1, 10, 1, 1, False))  # linear 64 -> 10 (after the global average pool)
    return layers


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def analyse(cubin):
    """kernel -> dict(regs, smem, loop, ops, op) from one cubin."""
    out = {}
    for m in re.finditer(r"Function (\w+):\s*\n\s*REG:(\d+) STACK:\d+ SHARED:(\d+)", run(["cuobjdump", "-res-usage", cubin])):
        out[m.group(1)] = {"regs": int(m.group(2)), "smem": int(m.group(3))}
    sass = run(["cuobjdump", "-sass", cubin])
    for part in re.split(r"\n\s*Function : ", sass)[1:]:
        name = part.split("\n", 1)[0].strip()
        ins = []  # (address, text)
        for m in re.finditer(r"/\*([0-9a-f]{4,})\*/\s+([^;]*);", part):
            ins.append((int(m.group(1), 16), m.group(2).strip()))
        op = "HMMA" if any(" HMMA" in " " + t or t.startswith("HMMA") for _, t in ins) else "FFMA"
        best = None
        for i, (addr, text) in enumerate(ins):
            b = re.search(r"\bBRA\s+(?:`\(\.L_x_\d+\)\s*)?0x([0-9a-f]+)", text)
            if not b or int(b.group(1), 16) > addr:
                continue
            head = int(b.group(1), 16)
            body = [(a, t) for a, t in ins if head <= a <= addr]
            ops = sum(1 for _, t in body if re.search(r"(^|\s)%s\b" % op, t))
            key = (ops, -len(body))
            if ops and (best is None or key > best[0]):
                best = (key, len(body) - peeled(body), ops)
        if best and name in out:
            code = sum(1 for _, t in ins if opcode(t) != "NOP") - 1  # less the trailing BRA-to-self
            out[name].update(loop=best[1], ops=best[2], op=op, rest=code - best[1])
    return out


def opcode(text):
    return re.sub(r"^@!?U?P\w+\s+", "", text).split(" ")[0].split(".")[0]


def peeled(body):
    """Instructions of a first-iteration copy inside the loop body: a region jumped over by a
    forward branch (no MMA/FFMA/barrier in it) whose opcode mix matches a later such region within
    30% is the code of `if (first) fetch(); ... if (more) fetch();`, executed once per block, not
    per iteration, and is not counted."""
    regions = []
    for i, (addr, text) in enumerate(body):
        b = re.search(r"\bBRA\s+0x([0-9a-f]+)", text)
        if b and addr < int(b.group(1), 16) <= body[-1][0]:
            region = [t for a, t in body if addr < a < int(b.group(1), 16)]
            if not any(opcode(t) in ("HMMA", "FFMA", "BAR") for t in region):
                regions.append((addr, int(b.group(1), 16), region))
    maximal = [r for r in regions if not any(o is not r and o[0] <= r[0] and r[1] <= o[1] for o in regions)]
    skip = 0
    for i, (a0, a1, r) in enumerate(maximal):
        hist = {}
        for t in r:
            hist[opcode(t)] = hist.get(opcode(t), 0) + 1
        for b0, b1, q in maximal[i + 1:]:
            other = {}
            for t in q:
                other[opcode(t)] = other.get(opcode(t), 0) + 1
            diff = sum(abs(hist.get(k, 0) - other.get(k, 0)) for k in set(hist) | set(other))
            if len(r) > 16 and diff <= 0.3 * max(len(r), len(q)):
                skip += len(r) + 1  # and its branch
                break
    return skip


def maxntid(ptx_dir):
    threads = {}
    for f in os.listdir(ptx_dir):
        if f.endswith(".ptx"):
            src = open(os.path.join(ptx_dir, f)).read()
            for m in re.finditer(r"\.entry (\w+)\([^)]*\)\s*\.maxntid (\d+), (\d+), (\d+)", src):
                threads[m.group(1)] = int(m.group(2)) * int(m.group(3)) * int(m.group(4))
    return threads


def blocks_per_sm(threads, regs, smem):
    warps = (threads + 31) // 32
    by_regs = 65536 // (warps * ((regs * 32 + 255) // 256 * 256)) if regs else 32
    by_smem = (228 * 1024) // smem if smem else 32
    return max(0, min(32, 2048 // threads, by_regs, by_smem))


def estimate(prec, path, info):
    _, prefix, bk, tapmajor = path
    flops = seconds = dram_s = compute_s = block_s = 0.0
    for cin, h, w, cout, ks, stride, res in resnet56():
        oh, ow = (h + 2 * (ks // 2) - ks) // stride + 1, (w + 2 * (ks // 2) - ks) // stride + 1
        bm = 16 if cout <= 16 else 32 if cout <= 32 else 64
        # As the engine (gpu.FastEligible): layers with Cin % 4 != 0 (the 3-channel stem) run on
        # the reference kernels in the fast path too.
        tm = tapmajor and cin % 4 == 0
        name = "%s_%s_bm%d" % (prefix if tm or not tapmajor else "conv", KNAME[prec], bm)
        if tm and prec != "fp32" and halo_eligible(cin, h, w, cout, ks, stride, oh, ow):
            name = "conv3_%s_bm%d" % (prec, bm)
        k = info.get(name)
        if not k or "ops" not in k:
            return None
        f = 2.0 * cout * cin * ks * ks * oh * ow
        red = cin if tm else cin * ks * ks
        useful = red / (-(-red // bk) * bk)
        rate = min(PEAK[prec], SMS * ISSUE * CLOCK * FLOP_PER_OP[prec] * k["ops"] / k["loop"]) * useful
        byts = float(ACT_BYTES[prec]) * (cin * h * w + cout * oh * ow * (2 if res else 1))
        # Per-block code: the main loop once per reduction tile (conv3: per channel block) and
        # everything else once, per warp of every block.
        iters = -(-cin // 16) if name.startswith("conv3") else -(-red // bk) * (ks * ks if tm else 1)
        blocks = oh * ow / 128.0 * -(-cout // bm)
        warps = (256 if prec == "fp32" else 128) // 32
        block_s += blocks * warps * (k["loop"] * iters + k["rest"]) / (SMS * ISSUE * CLOCK)
        flops += f
        compute_s += f / rate
        dram_s += byts / BW
        seconds += max(f / rate, byts / BW)
    return flops / compute_s, flops / dram_s, flops / seconds, flops, flops / block_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptx-dir", default="kernels/ptx")
    ap.add_argument("--arch", default="sm_90")
    a = ap.parse_args()
    threads = maxntid(a.ptx_dir)
    info = {}
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(os.listdir(a.ptx_dir)):
            if f.startswith(("conv", "bmm")) and f.endswith(".ptx"):  # bmm: the ViT products (not in the estimate)
                cubin = os.path.join(tmp, f[:-4] + ".cubin")
                run(["ptxas", "-O3", "-arch=" + a.arch, os.path.join(a.ptx_dir, f), "-o", cubin])
                info.update(analyse(cubin))
    print("%-18s %4s %6s %4s %7s %5s %9s %8s %8s" % ("kernel", "regs", "smem", "thr", "blk/SM", "op", "loop ins", "ins/op", "once/blk"))
    for name in sorted(info):
        k = info[name]
        t = threads.get(name, 0)
        print("%-18s %4d %6d %4d %7d %5s %9s %8s %8s" % (name, k["regs"], k["smem"], t, blocks_per_sm(t, k["regs"], k["smem"]) if t else 0,
              k.get("op", "-"), k.get("loop", "-"), "%.2f" % (k["loop"] / k["ops"]) if "ops" in k else "-", k.get("rest", "-")))
    print()
    print("ResNet-56 on an H100 SXM (model in scripts/sass-report.py): TFLOPS, and the 51x51 x 50,000-image scan")
    print("%-10s %-9s %14s %14s %14s %12s %12s %14s" % ("path", "precision", "issue-limited", "DRAM ceiling", "combined", "scan minutes", "x audit",
                                                       "with once/blk"))
    for path in PATHS:
        for prec in ("fp32", "tf32", "bf16"):
            e = estimate(prec, path, info)
            if e is None:
                continue
            issue, dram, comb, flops, blk = e
            print("%-10s %-9s %14.1f %14.1f %14.1f %12.1f %12.2f %14.1f" % (path[0], prec, issue / 1e12, dram / 1e12, comb / 1e12,
                  flops * 2601 * 50000 / comb / 60, issue / 1e12 / AUDIT[prec], blk / 1e12))
    print("x audit: issue-limited TFLOPS over the audit's baseline (tf32 49, bf16 38, fp32 20); issue 12's goal:"
          " >= 3 for tf32 and bf16, >= 1.5 for fp32")
    print("with once/blk: issue-limited TFLOPS counting, besides the main loop, every other instruction of the kernel once per"
          " block (prologue, epilogue, edge paths: static count, see the model)")


if __name__ == "__main__":
    sys.exit(main())
