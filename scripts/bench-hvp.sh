#!/usr/bin/env bash
# Hessian-vector products per second: landscape's (train.HVP, float32, one goroutine per core)
# beside PyTorch's torch.autograd double backward (tools/torch_hessian.py bench, same thread
# count), on random weights and synthetic 32x32x3 images, alternating in one session (the
# machine is shared: compare neighbouring runs). Prints a markdown table with the 1-minute load
# average before each pair.
#   scripts/bench-hvp.sh [IMAGES] [REPS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-128}; reps=${2:-2}; rounds=${3:-2}
py=${PYTHON:-/usr/bin/python3}
threads=$(nproc)
bench=$(mktemp -d)/hvpbench
trap 'rm -rf "$(dirname "$bench")"' EXIT
go build -o "$bench" ./tools/hvpbench
field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p"; }
printf '| model | round | load (1 min) | landscape HVP/s | PyTorch HVP/s | ratio |\n|---|---|---|---|---|---|\n'
for model in resnet20 resnet56; do
  for round in $(seq "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours=$("$bench" --model "$model" --images "$images" --reps "$reps" --workers "$threads" | field hvp_per_s)
    theirs=$("$py" tools/torch_hessian.py bench --model "$model" --images "$images" --batch "$images" --reps "$reps" \
      --threads "$threads" 2>/dev/null | field hvp_per_s)
    ratio=$(awk -v a="${ours:-0}" -v b="${theirs:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '| %s | %s | %s | %.4g | %.4g | %s |\n' "$model" "$round" "$load" "${ours:-0}" "${theirs:-0}" "$ratio"
  done
done
echo "(images=$images per product, $reps timed products per run after one warm-up, threads=$threads; $(date -u '+%F %H:%M') UTC; uptime:$(uptime | sed 's/.*load average/ load average/'))"
