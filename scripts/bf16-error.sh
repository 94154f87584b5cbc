#!/usr/bin/env bash
# The bfloat16 loss error of the CPU engine beside PyTorch autocast's own, on the same trained
# network, directions and data: a 1D scan in fp32 and in --precision bf16 (landscape), and the
# same points in fp32 and under torch.autocast("cpu", dtype=torch.bfloat16)
# (tools/torch_bf16_error.py). Prints one row per point: the fp32 losses of both, and each
# one's relative bf16 error |L_bf16 − L_fp32| / L_fp32 against its own fp32.
#
#   scripts/bf16-error.sh MODEL WEIGHTS DATA [LIMIT] [X]
#   e.g. scripts/bf16-error.sh resnet20 r20.safetensors fashion-mnist:/usr/share/datasets/fashion-mnist 2000 -0.5:0.5:5
# SEED (environment) picks the random directions (landscape scan --seed; default: scan's).
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LANDSCAPE:-./bin/landscape}
model=$1 weights=$2 data=$3 limit=${4:-2000} x=${5:--0.5:0.5:5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--model "$model" --weights "$weights" --data "$data" --split test --limit "$limit" --x "$x" --device cpu --quiet)
if [ -n "${SEED:-}" ]; then common+=(--seed "$SEED"); fi
"$L" scan "${common[@]}" --precision fp32 --save-dirs "$tmp/dirs.safetensors" --out "$tmp/fp32.npz" >/dev/null
"$L" scan "${common[@]}" --precision bf16 --dirs "$tmp/dirs.safetensors" --out "$tmp/bf16.npz" >/dev/null
points=$(/usr/bin/python3 -c "import numpy as n; print(';'.join(f'{a:.17g},0' for a in n.load('$tmp/fp32.npz')['xcoordinates']))")
/usr/bin/python3 tools/torch_bf16_error.py --model "$model" --weights "$weights" --dirs "$tmp/dirs.safetensors" \
  --data "$data" --split test --limit "$limit" --points="$points" --out "$tmp/torch.json"
/usr/bin/python3 - "$tmp" "$model" "$(grep -o 'amx[a-z_-]*\|avx512_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')" <<'PY'
import json, sys, numpy as np
d, model, flags = sys.argv[1:]
f32, b16 = np.load(f"{d}/fp32.npz"), np.load(f"{d}/bf16.npz")
t = json.load(open(f"{d}/torch.json"))
kernel = json.loads(str(b16["settings"])).get("cpu_kernel", "?")
print(f"model {model}; landscape bf16 kernel {kernel}; CPU flags {flags.strip()}")
print("| α | loss fp32 (landscape) | loss fp32 (PyTorch) | bf16 rel. error, landscape | bf16 rel. error, PyTorch autocast |")
print("|---|---|---|---|---|")
lf, lb = f32["test_loss"].ravel(), b16["test_loss"].ravel()
worst, mean = [0, 0], [0, 0]
for i, a in enumerate(f32["xcoordinates"]):
    tf, tb = t["fp32"][i]["loss"], t["bf16"][i]["loss"]
    ours, theirs = abs(lb[i] - lf[i]) / lf[i], abs(tb - tf) / tf
    worst = [max(worst[0], ours), max(worst[1], theirs)]
    mean = [mean[0] + ours / len(lf), mean[1] + theirs / len(lf)]
    print(f"| {a:+.2f} | {lf[i]:.5f} | {tf:.5f} | {ours:.2e} | {theirs:.2e} |")
print(f"| mean | | | {mean[0]:.2e} | {mean[1]:.2e} |")
print(f"| max | | | {worst[0]:.2e} | {worst[1]:.2e} |")
PY
