#!/usr/bin/env bash
# CPU speed of landscape beside PyTorch at its best CPU configuration (../shared/peer/torch_scan.py
# --channels-last, fp32 and --precision bf16 autocast, where oneDNN uses AMX or AVX512-BF16) on
# the same scan — random weights, filter-normalised directions, synthetic images, one thread per
# core — alternating runs in one session (the machine is shared and noisy: compare ratios of
# neighbouring runs). Prints a markdown table, one row per pair of runs (landscape, then PyTorch,
# same model and precision), with the 1-minute load average before each pair, then the range of
# each column per model and precision.
#   scripts/bench-cpu.sh [IMAGES] [POINTS] [REPEATS]
# Environment: MODELS (default "resnet20 resnet56"; tv:NAME is torchvision's NAME at 224×224,
# which landscape reads as an ONNX file exported once into ONNX_DIR, default $TMPDIR/landscape-onnx),
# PRECISIONS (default "fp32 bf16"), PEER (torch_scan.py's directory), PYTHON, LANDSCAPE (the
# binary), PEER_BATCHES (PyTorch's images per forward pass, default "64 256"; each pair's
# PyTorch figure is the best of one run at each — on the 2-core machines of bench/RESULTS.md
# resnet20 was fastest at 64–128 and resnet56 at 256–512; use "16 64" for 224×224 networks).
# landscape splits a scan into tasks of one point and at most 64 images (224×224) or more (small
# images), one worker per task; PyTorch splits each batch over its threads. Give at least as
# many tasks as cores (POINTS × ⌈IMAGES/64⌉ ≥ cores: e.g. "64 4 2" for the 224×224 networks on 2
# cores), as a real scan has, or landscape computes on fewer cores than PyTorch (a warning says so).
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-512}; points=${2:-2}; reps=${3:-3}
models=${MODELS:-resnet20 resnet56}
precisions=${PRECISIONS:-fp32 bf16}
peer=${PEER:-../shared/peer}
py=${PYTHON:-/usr/bin/python3}
bin=${LANDSCAPE:-bin/landscape}
batches=${PEER_BATCHES:-64 256}
onnx=${ONNX_DIR:-${TMPDIR:-/tmp}/landscape-onnx}
threads=$(nproc)
if [ $((points * ((images + 63) / 64))) -lt "$threads" ]; then
  echo "bench-cpu.sh: $points point(s) of $images images make fewer landscape tasks than the $threads cores: landscape will use fewer cores than PyTorch" >&2
fi
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT

# ours MODEL: landscape's --model and --hw for MODEL (tv:NAME exported to ONNX_DIR/NAME.onnx once).
ours() {
  case $1 in
  tv:*)
    local f="$onnx/${1#tv:}.onnx"
    if [ ! -f "$f" ]; then
      mkdir -p "$onnx"
      "$py" -c "import torch, torchvision; torch.save(torchvision.models.${1#tv:}(num_classes=10).eval(), '$f.pt')"
      "$py" tools/torch2onnx.py "$f.pt" "$f" --input-shape 3,224,224 >&2
      rm -f "$f.pt"
    fi
    echo "--model $f --hw 224" ;;
  *) echo "--model $1" ;;
  esac
}
peerhw() { case $1 in tv:*) echo 224 ;; *) echo 32 ;; esac; }

printf '| model | precision | run | load | landscape img/s | landscape GFLOP/s | kernel | PyTorch channels-last img/s (best batch) | ratio |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for model in $models; do
  for rep in $(seq "$reps"); do
    for prec in $precisions; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      # shellcheck disable=SC2046
      line=$("$bin" bench --device cpu $(ours "$model") --precision "$prec" --images "$images" --points "$points" \
        --workers "$threads" 2>&1 || true)
      us=$(sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
      gf=$(sed -n 's/.*gflops=\([0-9.]*\).*/\1/p' <<<"$line")
      kern=$(sed -n "s/.*cpu_kernel=\([a-z0-9+-]*\).*/\1/p" <<<"$line")
      theirs=
      for batch in $batches; do
        t=$("$py" "$peer/torch_scan.py" --device cpu --model "$model" --hw "$(peerhw "$model")" --threads "$threads" \
          --images "$images" --points "$points" --batch "$batch" --channels-last --precision "$prec" 2>/dev/null |
          sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p' || true)
        theirs=$(awk -v a="${theirs:-0}" -v b="${t:-0}" 'BEGIN { if (b > a) print b; else if (a > 0) print a }')
      done
      ratio=$(awk -v a="${us:-0}" -v b="${theirs:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }')
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$prec" "$rep" "$load" "${us:-n/a}" "${gf:-n/a}" \
        "${kern:-fp32}" "${theirs:-n/a}" "$ratio"
      echo "$model/$prec ${us:-0} ${theirs:-0}" >>"$rows"
    done
  done
done
echo
awk '$2 > 0 && $3 > 0 {
  m = $1; r = $2 / $3
  if (!(m in n)) { order[++k] = m; lo1[m] = hi1[m] = $2; lo2[m] = hi2[m] = $3; lor[m] = hir[m] = r }
  n[m]++
  if ($2 < lo1[m]) lo1[m] = $2; if ($2 > hi1[m]) hi1[m] = $2
  if ($3 < lo2[m]) lo2[m] = $3; if ($3 > hi2[m]) hi2[m] = $3
  if (r < lor[m]) lor[m] = r; if (r > hir[m]) hir[m] = r
}
END {
  for (i = 1; i <= k; i++) { m = order[i]
    printf "%s: landscape %.0f–%.0f img/s, PyTorch %.0f–%.0f img/s, ratio %.2f–%.2f (%d pairs)\n", m, lo1[m], hi1[m], lo2[m], hi2[m], lor[m], hir[m], n[m] }
}' "$rows"
flags=$(grep -m1 -o -w -E 'avx512f|avx512_bf16|amx_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "(images=$images points=$points threads=$threads PyTorch batches=$batches; $(date -u +%F) on $(lscpu | sed -n "s/^Model name: *//p") (family $(lscpu | sed -n "s/^CPU family: *//p"), ${flags% }), $(nproc) cores)"
