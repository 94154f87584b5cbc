#!/usr/bin/env bash
# CPU speed of landscape beside PyTorch (../shared/peer/torch_scan.py) on the same scan —
# random weights, filter-normalised directions, synthetic 32x32x3 images, fp32, one thread per
# core — alternating runs in one session (the machine is shared and noisy: compare ratios of
# neighbouring runs). Prints a markdown table, one row per pair of runs, with the 1-minute load
# average before each pair, then the range of each column per model.
#   scripts/bench-cpu.sh [IMAGES] [POINTS] [REPEATS]
# Environment: PEER (torch_scan.py's directory), PYTHON, LANDSCAPE (the binary), PEER_BATCHES
# (PyTorch's images per forward pass, default "64 256": each pair's PyTorch figure is the best
# of one run at each — on the 2-core machine of bench/RESULTS.md resnet20 was fastest at 64–128
# and resnet56 at 256–512, and torch_scan.py's own default is min(images, 512)).
set -euo pipefail
images=${1:-512}; points=${2:-2}; reps=${3:-3}
peer=${PEER:-../shared/peer}
py=${PYTHON:-/usr/bin/python3}
bin=${LANDSCAPE:-bin/landscape}
batches=${PEER_BATCHES:-64 256}
threads=$(nproc)
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
printf '| model | run | load | landscape img/s | PyTorch img/s (best batch) | ratio |\n|---|---|---|---|---|---|\n'
for model in resnet20 resnet56; do
  for rep in $(seq "$reps"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours=$("$bin" bench --device cpu --model "$model" --images "$images" --points "$points" --workers "$threads" 2>/dev/null |
      sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p')
    theirs=
    for batch in $batches; do
      t=$("$py" "$peer/torch_scan.py" --device cpu --model "$model" --threads "$threads" --images "$images" \
        --points "$points" --batch "$batch" 2>/dev/null | sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p')
      theirs=$(awk -v a="${theirs:-0}" -v b="${t:-0}" 'BEGIN { if (b > a) print b; else if (a > 0) print a }')
    done
    ratio=$(awk -v a="${ours:-0}" -v b="${theirs:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$model" "$rep" "$load" "${ours:-n/a}" "${theirs:-n/a}" "$ratio"
    echo "$model ${ours:-0} ${theirs:-0}" >>"$rows"
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
echo "(images=$images points=$points threads=$threads PyTorch batches=$batches; $(date -u +%F) on $(lscpu | sed -n "s/^Model name: *//p") (family $(lscpu | sed -n "s/^CPU family: *//p"), $(lscpu | sed -n "s/^Flags:.*\(avx512f\).*/\1/p")), $(nproc) cores)"
