#!/usr/bin/env python3
"""kernel-loop.py BINARY FUNC...: the k loop of each micro-kernel FUNC in a Go binary (any GOARCH),
from `go tool objdump`: its instructions, FMA instructions and the instructions per FMA, the
static figure of bench/RESULTS.md's arm64 estimate. The loop is the body of the backward branch
that holds the most FMAs (the unrolled loop), the shortest such body on a tie.

  GOARCH=arm64 go test -c -o /tmp/gemm-arm64.test ./cpu/gemm
  scripts/kernel-loop.py /tmp/gemm-arm64.test gemm.kernNEON8x12.abi0
"""
import re
import subprocess
import sys

FMA = re.compile(r"(FMADD|VFMLA|VFMADD)")


def loop(binary, fn):
    out = subprocess.run(["go", "tool", "objdump", "-s", fn + "$", binary],
                         capture_output=True, text=True, check=True).stdout
    ins = []
    for line in out.splitlines():
        f = [x.strip() for x in line.split("\t") if x.strip()]
        if len(f) >= 4 and f[1].startswith("0x"):
            ins.append(f[3])
    best = None
    for i, s in enumerate(ins):
        m = re.search(r"(-\d+)\(PC\)", s)
        if not (m and re.match(r"(B|CB|TB)", s.split()[0])):
            continue
        body = [x for x in ins[i + int(m.group(1)):i + 1] if not x.startswith("NOOP")]
        n = sum(bool(FMA.match(x)) for x in body)
        if n and (best is None or n > best[1] or n == best[1] and len(body) < len(best[0])):
            best = (body, n)
    return best


for fn in sys.argv[2:]:
    best = loop(sys.argv[1], fn)
    if best is None:
        print(f"{fn}: no loop with FMA instructions (arm64, riscv64 and ppc64 branches only)")
        continue
    body, n = best
    ops = {}
    for x in body:
        ops[x.split()[0]] = ops.get(x.split()[0], 0) + 1
    mix = ", ".join(f"{k} {v}" for k, v in sorted(ops.items(), key=lambda t: -t[1]))
    print(f"{fn}: {len(body)} instructions, {n} FMA, {len(body) / n:.2f} per FMA ({mix})")
