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
# TORCH_MODEL (environment) names the network for PyTorch when MODEL is an ONNX file landscape
# reads, e.g. MODEL=resnet18.onnx TORCH_MODEL=tv:resnet18 for a torchvision classifier (built as
# tools/onnx_nets.py builds it; tools/train_tv.py trains one and writes both files); default MODEL.
# ROWS (environment): a file to which each point is appended as one JSON line (model, seed, α,
# both fp32 losses and both errors), for statistics over several seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LANDSCAPE:-./bin/landscape}
model=$1 weights=$2 data=$3 limit=${4:-2000} x=${5:--0.5:0.5:5}
torch_model=${TORCH_MODEL:-$model}
case $torch_model in *.onnx) echo "bf16-error.sh: PyTorch cannot build $torch_model (an ONNX file): set TORCH_MODEL to the network it is, e.g. tv:resnet18" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--model "$model" --weights "$weights" --data "$data" --split test --limit "$limit" --x "$x" --device cpu --quiet)
if [ -n "${SEED:-}" ]; then common+=(--seed "$SEED"); fi
"$L" scan "${common[@]}" --precision fp32 --save-dirs "$tmp/dirs.safetensors" --out "$tmp/fp32.npz" >/dev/null
"$L" scan "${common[@]}" --precision bf16 --dirs "$tmp/dirs.safetensors" --out "$tmp/bf16.npz" >/dev/null
points=$(/usr/bin/python3 -c "import numpy as n; print(';'.join(f'{a:.17g},0' for a in n.load('$tmp/fp32.npz')['xcoordinates']))")
/usr/bin/python3 tools/torch_bf16_error.py --model "$torch_model" --weights "$weights" --dirs "$tmp/dirs.safetensors" \
  --data "$data" --split test --limit "$limit" --points="$points" --out "$tmp/torch.json"
/usr/bin/python3 - "$tmp" "$model${TORCH_MODEL:+ ($TORCH_MODEL)}${SEED:+, seed $SEED}" "$(grep -o 'amx[a-z_-]*\|avx512_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')" "${ROWS:-}" "${SEED:-}" <<'PY'
import json, sys, numpy as np
d, model, flags, rows, seed = sys.argv[1:]
f32, b16 = np.load(f"{d}/fp32.npz"), np.load(f"{d}/bf16.npz")
t = json.load(open(f"{d}/torch.json"))
kernel = json.loads(str(b16["settings"])).get("cpu_kernel", "?")
print(f"model {model}; landscape bf16 kernel {kernel}; CPU flags {flags.strip()}")
print("| α | loss fp32 (landscape) | loss fp32 (PyTorch) | bf16 rel. error, landscape | bf16 rel. error, PyTorch autocast |")
print("|---|---|---|---|---|")
lf, lb = f32["test_loss"].ravel(), b16["test_loss"].ravel()
errs, fp32diff, out = [[], []], 0, []
for i, a in enumerate(f32["xcoordinates"]):
    tf, tb = t["fp32"][i]["loss"], t["bf16"][i]["loss"]
    ours, theirs = abs(lb[i] - lf[i]) / lf[i], abs(tb - tf) / tf
    errs[0].append(ours), errs[1].append(theirs)
    fp32diff = max(fp32diff, abs(lf[i] - tf) / tf)
    out.append({"model": model, "seed": seed, "alpha": float(a), "fp32": float(lf[i]), "fp32_torch": tf,
                "bf16": float(lb[i]), "bf16_torch": tb, "err": float(ours), "err_torch": theirs})
    print(f"| {a:+.2f} | {lf[i]:.5f} | {tf:.5f} | {ours:.2e} | {theirs:.2e} |")
for name, f in (("mean", np.mean), ("median", np.median), ("max", np.max)):
    print(f"| {name} | | | {f(errs[0]):.2e} | {f(errs[1]):.2e} |")
print(f"fp32 losses, landscape against PyTorch: largest relative difference {fp32diff:.1e}")
if rows:
    with open(rows, "a") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in out)
PY
