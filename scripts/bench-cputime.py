#!/usr/bin/env python3
"""CPU-time throughput of bench.BenchmarkCPUEngineTV on a shared, loaded machine.

usage: scripts/bench-cputime.py ROUNDS BINARY... (binaries from `go test -c ./bench -o X.test`)

For each round, model (MODELS, default efficientnet_b0 mobilenet_v2, ONNX files in ONNX_DIR,
default /tmp/landscape-onnx) and precision, every binary runs alternately on one core
(GOMAXPROCS=1) with -test.benchtime 1x and 5x; the difference of the two processes' user+system
time (getrusage) is the CPU time of 4 iterations (64 images) without the setup. Prints img/s per
CPU second and go's wall-clock img/s of the 5x run, then the best and median of the rounds.
Under load CPU time is inflated too (other processes' cache traffic): compare binaries, not runs.
"""
import os, re, subprocess, sys

rounds, bins = int(sys.argv[1]), sys.argv[2:]
models = os.environ.get("MODELS", "efficientnet_b0 mobilenet_v2").split()
onnx = os.environ.get("ONNX_DIR", "/tmp/landscape-onnx")
bench_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench")


def run(b, model, prec, n):
    env = dict(os.environ, GOMAXPROCS="1", LANDSCAPE_TV_ONNX=os.path.join(onnx, model + ".onnx"))
    p = subprocess.Popen([b, "-test.run", "XXX", "-test.bench", "CPUEngineTV/%s/%s$" % (model, prec),
                          "-test.benchtime", "%dx" % n], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=bench_dir)
    out = p.stdout.read().decode()
    _, _, ru = os.wait4(p.pid, 0)
    m = re.search(r"([\d.]+) img/s", out)
    if not m:
        sys.exit("%s %s/%s: no img/s in its output:\n%s" % (b, model, prec, out))
    return ru.ru_utime + ru.ru_stime, float(m.group(1))


res = {}
for r in range(rounds):
    for model in models:
        for prec in ["fp32", "bf16"]:
            for b in bins:
                c1, _ = run(b, model, prec, 1)
                c5, wall = run(b, model, prec, 5)
                ips = 64 / (c5 - c1)
                res.setdefault((model, prec, b), []).append((ips, wall))
                print("round %d %s/%s %s: %.1f img/s per CPU second, wall %.1f img/s" % (r, model, prec, os.path.basename(b), ips, wall), flush=True)
print("summary:")
for (model, prec, b), v in res.items():
    c = sorted(x[0] for x in v)
    print("%s/%s %s: img/s per CPU second best %.1f median %.1f; wall best %.1f" % (model, prec, os.path.basename(b), c[-1], c[len(c) // 2], max(x[1] for x in v)))
