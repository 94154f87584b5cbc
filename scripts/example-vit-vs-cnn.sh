#!/usr/bin/env bash
# Example: a vision transformer and a ResNet of the same size, side by side (README "Example: ViT
# vs CNN"). The literature's ViT-vs-CNN comparison in miniature, on the CPU, in a few minutes:
#
#   1. tools/train_vit_cnn.py trains a small ViT (7×7 patches of 28×28 images, width 32, 2 layers
#      of 4 heads) and a small ResNet (16/32 channels, two residual blocks), about 20 k parameters
#      each, on the first 6000 Fashion-MNIST training images (Adam, cosine schedule, one thread),
#      and exports both to ONNX (batch norm kept, state_dict names: model.ExportCall's conventions).
#   2. landscape scan: 2D filter-normalised surfaces of both (11×11 points, 1000 training images).
#   3. landscape plot: the contours side by side (one set of levels), and the loss rise around
#      each minimum.
#   4. λmax and the Hessian's eigenvalue spectral density (ESD) of each: landscape hessian where it
#      takes both imported graphs, else torch.autograd's products in tools/train_vit_cnn.py (said
#      so), the same Lanczos method on the same 1000 images.
#
# Everything goes to example-out/ (nets/, surfaces/, figures/, logs/, report.md).
# Environment: LANDSCAPE (the binary, default bin/landscape), EXAMPLE_OUT (folder), EXAMPLE_FASHION (data folder), EXAMPLE_EPOCHS (default 8),
# EXAMPLE_HESSIAN=auto|landscape|torch (auto: landscape hessian if it takes both .onnx files).
set -euo pipefail
cd "$(dirname "$0")/.."
L=${LANDSCAPE:-./bin/landscape}
PY=${PYTHON:-/usr/bin/python3}
OUT=${EXAMPLE_OUT:-example-out}
FASHION=${EXAMPLE_FASHION:-/usr/share/datasets/fashion-mnist}
EPOCHS=${EXAMPLE_EPOCHS:-8}
HESS=${EXAMPLE_HESSIAN:-auto}
LIMIT=1000 # images for the surfaces and the Hessians
[ -x "$L" ] || { echo "example: $L is missing; run make build first" >&2; exit 1; }
ls "$FASHION"/train-images-idx3-ubyte.gz >/dev/null || { echo "example: Fashion-MNIST is not at $FASHION (apt-get install dataset-fashion-mnist, or set EXAMPLE_FASHION)" >&2; exit 1; }
DATA="fashion-mnist:$FASHION"
T0=$(date +%s)
elapsed() { echo $(($(date +%s) - T0)); }
rm -rf "$OUT"
mkdir -p "$OUT"/nets "$OUT"/surfaces "$OUT"/figures "$OUT"/logs

# 1. Train and export.
$PY tools/train_vit_cnn.py train --fashion "$FASHION" --out-dir "$OUT/nets" --limit 6000 --epochs "$EPOCHS" | tee "$OUT/logs/train.txt"
echo "example: [$(elapsed) s] trained"

# 2. Surfaces (one worker: an example, not a benchmark).
for n in vit cnn; do
  $L scan --model "$OUT/nets/$n.onnx" --data "$DATA" --split train --limit $LIMIT --device cpu --workers 1 --quiet \
    --x -1:1:11 --y -1:1:11 --seed 1 --out "$OUT/surfaces/$n.npz" >"$OUT/logs/scan_$n.log" 2>&1 ||
    { cat "$OUT/logs/scan_$n.log" >&2; exit 1; }
  echo "example: [$(elapsed) s] $(tail -n 1 "$OUT/logs/scan_$n.log")"
done

# 3. Figures and the loss rise at filter-normalised distances 0.25 and 0.5.
$L plot "$OUT/surfaces/vit.npz" "$OUT/surfaces/cnn.npz" --out-prefix "$OUT/figures/vit_vs_cnn" \
  --vmin 0.1 --vmax 5 --vlevel 0.25 --rise-at 0.25,0.5 >"$OUT/logs/plot.txt"
echo "example: [$(elapsed) s] figures drawn"

# 4. λmax and the ESD.
hess_landscape() {
  local n
  for n in vit cnn; do
    $L hessian --model "$OUT/nets/$n.onnx" --data "$DATA" --split train --limit $LIMIT --workers 1 --quiet \
      --top 1 --density "$OUT/figures/esd_$n.png" --density-steps 60 --out "$OUT/logs/hessian_$n.json" \
      >"$OUT/logs/hessian_$n.log" 2>&1 || return 1
  done
}
hess_torch() {
  local n
  for n in vit cnn; do
    $PY tools/train_vit_cnn.py hessian --fashion "$FASHION" --net "$OUT/nets/$n.pt" --limit $LIMIT --steps 40 \
      --out "$OUT/logs/hessian_$n.json" | tee "$OUT/logs/hessian_$n.log"
  done
}
case $HESS in
landscape)
  hess_landscape || { cat "$OUT"/logs/hessian_*.log >&2; exit 1; }
  HESS_NOTE="landscape hessian on the .onnx files (λmax and λmin by Lanczos to convergence, the ESD from 60 Lanczos steps)" ;;
torch)
  hess_torch
  HESS_NOTE="torch.autograd's Hessian-vector products (tools/train_vit_cnn.py hessian, 40 Lanczos steps; EXAMPLE_HESSIAN=torch); λmin is the smallest Ritz value (an upper bound of λmin, not converged)" ;;
auto)
  if hess_landscape; then
    HESS_NOTE="landscape hessian on the .onnx files (λmax and λmin by Lanczos to convergence, the ESD from 60 Lanczos steps)"
  else
    why=$(grep -h -m 1 . "$OUT"/logs/hessian_*.log | tail -n 1)
    echo "example: landscape hessian did not take the imported graphs ($why); computing λmax and the ESD with torch.autograd instead" >&2
    HESS_NOTE="torch.autograd's Hessian-vector products (tools/train_vit_cnn.py hessian, 40 Lanczos steps), because landscape hessian refused the .onnx files: \`$why\`; λmin is the smallest Ritz value (an upper bound of λmin, not converged)"
    hess_torch
  fi ;;
*) echo "example: EXAMPLE_HESSIAN=$HESS: want auto, landscape or torch" >&2; exit 1 ;;
esac
$PY tools/train_vit_cnn.py esd-plot "$OUT/logs/hessian_vit.json" "$OUT/logs/hessian_cnn.json" --out "$OUT/figures/esd_vit_vs_cnn.png" >/dev/null
echo "example: [$(elapsed) s] Hessians done"

$PY tools/train_vit_cnn.py report --dir "$OUT" --limit $LIMIT --seconds "$(elapsed)" --hessian-note "$HESS_NOTE"
echo "example: done in $(elapsed) s. Report: $OUT/report.md; contours: $OUT/figures/vit_vs_cnn_compare.png, ESD: $OUT/figures/esd_vit_vs_cnn.png"
