#!/usr/bin/env bash
# The demo (`make demo`): the findings of Li et al. 2018, "Visualizing the Loss Landscape of
# Neural Nets", in miniature, on the CPU, in a few minutes.
#
#   1. Small vs large batch: the same small VGG (vgg5-c8) trained with batches of 32 and 1000;
#      2D filter-normalised surfaces around both minima, and the 1D interpolation between them.
#      The paper: small-batch minima are wider.
#   2. Skip connections: a deep narrow ResNet (resnet56-c4, 4/8/16 channels, 55 layers) with and
#      without its skip connections. The paper: without them the landscape turns chaotic.
#   3. Weight decay: the small-batch VGG again with weight decay 5e-4.
#   4. Sharpness in numbers: λmax and the trace of the Hessian (landscape hessian) beside the
#      loss rise, for every minimum; the small-batch VGG's optimisation path on the plane of
#      its PCA directions (landscape trajectory), and its curvature map |λmin/λmax|.
#
# Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist,
# which `make demo` installs when it can), else a built-in synthetic image set (said so).
# Everything goes to demo-out/: nets/, surfaces/, figures/, logs/ and report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
L=./bin/landscape
OUT=demo-out
[ -x "$L" ] || { echo "demo: $L is missing; run make demo (or make build) first" >&2; exit 1; }
T0=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"/nets "$OUT"/surfaces "$OUT"/figures "$OUT"/logs

FASHION=${DEMO_FASHION:-/usr/share/datasets/fashion-mnist} # (DEMO_FASHION=/nonexistent tries the fallback)
if ls "$FASHION"/train-images-idx3-ubyte* >/dev/null 2>&1; then
  DATA="fashion-mnist:$FASHION"
  DATA_NOTE="Fashion-MNIST ($FASHION)"
else
  echo "demo: Fashion-MNIST is not installed at $FASHION; using a built-in synthetic image set instead" >&2
  DATA=$($L synth-data --out "$OUT/data" --train 4000 --test 1000)
  DATA_NOTE="a built-in **synthetic** 10-class image set (Fashion-MNIST was not installed at $FASHION): $OUT/data"
fi
echo "demo: data: $DATA_NOTE"

elapsed() { echo $(($(date +%s) - T0)); }

# train NAME MODEL ARGS...: trains into nets/NAME.safetensors, log in logs/NAME.log, keeps the summary line.
train() {
  local name=$1 model=$2
  shift 2
  if ! $L train --model "$model" --data "$DATA" --eval-split test --eval-limit 1000 --seed 1 \
      --out "$OUT/nets/$name.safetensors" "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.log"; then
    cat "$OUT/logs/$name.log" >&2
    exit 1
  fi
  echo "demo: [$(elapsed) s] $(cat "$OUT/logs/$name.out")"
}

# scan NAME MODEL ARGS...: writes surfaces/NAME.npz.
scan() {
  local name=$1 model=$2
  shift 2
  if ! $L scan --model "$model" --data "$DATA" --split train --device cpu --quiet \
      --out "$OUT/surfaces/$name.npz" "$@" >"$OUT/logs/scan_$name.log" 2>&1; then
    cat "$OUT/logs/scan_$name.log" >&2
    exit 1
  fi
  echo "demo: [$(elapsed) s] $(tail -n 1 "$OUT/logs/scan_$name.log")"
}

# 1. Small vs large batch.
VGG=(--limit 4000 --epochs 15 --lr 0.1 --momentum 0.9 --wd 0 --lr-drops "")
train small_batch vgg5-c8 "${VGG[@]}" --batch-size 32 --save-every 1
train large_batch vgg5-c8 "${VGG[@]}" --batch-size 1000
train small_batch_wd vgg5-c8 "${VGG[@]}" --batch-size 32 --wd 5e-4
for n in small_batch large_batch small_batch_wd; do
  scan "$n" vgg5-c8 --weights "$OUT/nets/$n.safetensors" --limit 500 --x -1:1:11 --y -1:1:11
done
scan interpolation vgg5-c8 --weights "$OUT/nets/small_batch.safetensors" --weights2 "$OUT/nets/large_batch.safetensors" \
  --dir-type states --limit 500 --x -0.5:1:31

# 2. Skip connections.
RES=(--limit 3000 --epochs 8 --batch-size 16 --lr 0.1 --momentum 0.9 --wd 5e-4 --lr-drops 7)
train skip resnet56-c4 "${RES[@]}"
train noskip resnet56-c4-noshort "${RES[@]}"
scan skip resnet56-c4 --weights "$OUT/nets/skip.safetensors" --limit 300 --x -1:1:15 --y -1:1:15
scan noskip resnet56-c4-noshort --weights "$OUT/nets/noskip.safetensors" --limit 300 --x -1:1:15 --y -1:1:15

# Figures, and the loss rise at filter-normalised distances 0.25 and 0.5 from each minimum.
# Contour levels 0.1, 0.6, … below 5 for the shallow VGG, the paper's 0.1 … 10 for the ResNets.
PLOT=(--vmin 0.1 --vlevel 0.5 --rise-at 0.25,0.5)
$L plot "$OUT/surfaces/small_batch.npz" "$OUT/surfaces/large_batch.npz" --out-prefix "$OUT/figures/batch" --vmax 5 "${PLOT[@]}" >"$OUT/logs/plot_batch.txt"
$L plot "$OUT/surfaces/skip.npz" "$OUT/surfaces/noskip.npz" --out-prefix "$OUT/figures/skip" --vmax 10 "${PLOT[@]}" >"$OUT/logs/plot_skip.txt"
$L plot "$OUT/surfaces/interpolation.npz" --out-prefix "$OUT/figures/interpolation" >"$OUT/logs/plot_interpolation.txt"
$L plot "$OUT/surfaces/small_batch_wd.npz" "$OUT/surfaces/small_batch.npz" --out-prefix "$OUT/figures/wd" --vmax 5 "${PLOT[@]}" >"$OUT/logs/plot_wd.txt"
echo "demo: [$(elapsed) s] figures drawn"

# 4. Curvature: λmax and the trace at each minimum, the small-batch path, a curvature map.
. scripts/demo-curvature.sh

# field FILE N: the Nth number of a train summary line ("train loss L acc A%, eval loss L acc A%").
field() { sed -E 's/.*train loss ([0-9.]+) acc ([0-9.]+)%, eval loss ([0-9.]+) acc ([0-9.]+)%.*/\1 \2 \3 \4/' "$OUT/logs/$1.out" | cut -d' ' -f"$2"; }
# rise NAME R: the loss rise at distance R of surfaces/NAME.npz; origin NAME: its loss at the origin.
rise() { grep -h "/$1.npz: .* at distance $2 " "$OUT"/logs/plot_*.txt | head -n 1 | sed -E 's/.*rise ([-0-9.]+) at.*/\1/'; }
origin() { grep -h "/$1.npz: .* at distance 0.5 " "$OUT"/logs/plot_*.txt | head -n 1 | sed -E 's/.*loss ([-0-9.]+) at the origin.*/\1/'; }
row() { echo "| $2 | $(field "$1" 2)% | $(field "$1" 4)% | $(origin "$1") | $(rise "$1" 0.25) | $(rise "$1" 0.5) |"; }
# wider A B: says which of two minima rises less at distance 0.5.
wider() {
  awk -v a="$(rise "$1" 0.5)" -v b="$(rise "$2" 0.5)" -v na="$3" -v nb="$4" 'BEGIN {
    if (a + 0 < b + 0) printf "The %s minimum is the wider one: 0.5 filter-normalised units away its loss rises by %.2f on average, against %.2f for the %s minimum.", na, a, b, nb
    else printf "Here the %s minimum is not the wider one: 0.5 units away its loss rises by %.2f, against %.2f for the %s minimum (a small run can differ from the paper).", na, a, b, nb }'
}
# chaos: what the skip figure shows, unless the no-skip net did not train at all.
chaos() {
  if awk -v a="$(field noskip 4)" 'BEGIN { exit !(a + 0 < 30) }'; then
    echo "Without skip connections this deep net did not train in so short a run (test accuracy $(field noskip 4)%):
its loss stays near ln 10 ≈ 2.30, a flat plateau rather than a minimum — the other side of the
paper's point that skip connections make deep networks trainable."
  else
    echo "Without skip connections the deep net also trains more slowly, and — the paper's finding — its
landscape turns chaotic: away from the minimum the contours break into separate basins and
ridges, where the version with skip connections sits in one smooth bowl."
  fi
}
SECS=$(elapsed)
HEAD="| network | train accuracy (last epoch) | test accuracy (1000 images) | train loss at the minimum | loss rise at 0.25 | loss rise at 0.5 |
|---|---|---|---|---|---|"
cat >"$OUT/report.md" <<EOF
# Loss landscapes in miniature

The findings of Li et al. (2018), *Visualizing the Loss Landscape of Neural Nets*, reproduced
on small networks trained on the CPU by \`make demo\` in ${SECS} s ($(nproc) cores, $(date -u +%Y-%m-%d)).
Data: ${DATA_NOTE}.

Surfaces are $(
  echo "2D slices L(θ + xδ + yη) along two random Gaussian directions normalised per filter"
) (batch-norm parameters left out, as the paper's defaults), evaluated on training images
with batch norm in evaluation mode. The *loss rise* at distance r is the mean loss at
(±r, 0) and (0, ±r) minus the loss at the minimum: a smaller rise is a wider minimum.

## 1. Small batch vs large batch

vgg5-c8 (three conv layers of 8/16/32 channels, two linear layers) on 4000 training images,
15 epochs of SGD (learning rate 0.1, momentum 0.9, no weight decay), with batches of 32
(1875 steps) and of 1000 (60 steps). Surfaces on 500 training images, 11×11 points.

${HEAD}
$(row small_batch "batch 32")
$(row large_batch "batch 1000")

$(wider small_batch large_batch small-batch large-batch)

![batch size: contours](figures/batch_compare.png)

Linear interpolation from the small-batch solution (x = 0) to the large-batch one (x = 1),
running statistics included (the paper's 1D plot, which goes on to x = 1.5: here some of the
large-batch net's running variances are so small that just past x = 1 the interpolated ones
turn negative and the loss is undefined, so the line stops at 1). As in the paper, the loss
is flat around the small-batch solution and steep around the large-batch one:

![interpolation](figures/interpolation_1d_loss_acc.png)

## 2. Skip connections

resnet56-c4 (55 layers, 4/8/16 channels) with and without its skip connections, on 3000
training images, 8 epochs of SGD (batches of 16, learning rate 0.1 then 0.01 for the last
epoch, momentum 0.9, weight decay 5e-4). Surfaces on 300 training images, 15×15 points.

${HEAD}
$(row skip "with skip connections")
$(row noskip "without")

$(wider skip noskip "with-skip" "no-skip")
$(chaos)

![skip connections: contours](figures/skip_compare.png)

<img src="figures/skip_skip_3dsurface.png" width="49%"> <img src="figures/skip_noskip_3dsurface.png" width="49%">

$(curvature_report)

## Files

- figures/: every figure (PNG and SVG; 3D surfaces \`*_3dsurface.png\`; VTK \`*_surface.vtp\` for ParaView)
- surfaces/: the scanned surfaces (.npz, the paper code's keys); nets/: the trained weights
  (PyTorch state_dicts as safetensors); logs/: the training logs, epoch by epoch
EOF
echo "demo: done in ${SECS} s. Report: $OUT/report.md; pictures in $OUT/figures/, e.g."
echo "  $OUT/figures/batch_compare.png   (small vs large batch)"
echo "  $OUT/figures/skip_compare.png    (with vs without skip connections)"
echo "  $OUT/figures/interpolation_1d_loss_acc.png"
