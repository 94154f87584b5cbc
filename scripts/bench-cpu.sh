#!/usr/bin/env bash
# CPU speed of landscape beside PyTorch (../shared/peer/torch_scan.py) on the same scan —
# random weights, filter-normalised directions, synthetic 32x32x3 images — alternating runs in
# one session (the machine is noisy: compare ratios). Prints one markdown table.
#   scripts/bench-cpu.sh [IMAGES] [POINTS] [REPEATS]
set -euo pipefail
images=${1:-512}; points=${2:-2}; reps=${3:-2}
peer=${PEER:-../shared/peer}
py=${PYTHON:-/usr/bin/python3}
threads=$(nproc)
printf '| model | run | landscape img/s | PyTorch img/s | ratio |\n|---|---|---|---|---|\n'
for model in resnet20 resnet56; do
  for rep in $(seq "$reps"); do
    ours=$(bin/landscape bench --device cpu --model "$model" --images "$images" --points "$points" --workers "$threads" 2>/dev/null |
      sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p')
    theirs=$("$py" "$peer/torch_scan.py" --device cpu --model "$model" --threads "$threads" --images "$images" --points "$points" 2>/dev/null |
      sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p')
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '| %s | %s | %s | %s | %s |\n' "$model" "$rep" "$ours" "${theirs:-n/a}" "$ratio"
  done
done
echo
echo "(images=$images points=$points threads=$threads; $(date -u +%F) on $(lscpu | sed -n 's/^Model name: *//p'))"
