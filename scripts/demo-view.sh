#!/usr/bin/env bash
# After scripts/demo.sh (`make demo`): demo-out/index.html, the report with every figure
# interactive (`landscape view --report`): each comparison figure becomes the surfaces side by
# side (3D, contours, heat map, read-out under the cursor), the 1D plot becomes curves. An image
# whose surfaces are missing stays a picture. One self-contained file: it opens offline.
set -euo pipefail
cd "$(dirname "$0")/.."
L=./bin/landscape
OUT=${DEMO_OUT:-demo-out}
S=$OUT/surfaces
[ -f "$OUT/report.md" ] || { echo "demo-view: $OUT/report.md is missing; run scripts/demo.sh first" >&2; exit 1; }
args=()
# figure IMAGE NAME[@PATH]...: IMAGE (its src in report.md) becomes the surfaces surfaces/NAME.npz
# (with the trajectory surfaces/PATH.npz drawn on it), if the report shows it and they all exist;
# with no NAME the image is dropped (another figure shows it).
figure() {
  local img=$1 list="" f s p
  shift
  grep -qF "($img)" "$OUT/report.md" || grep -qF "\"$img\"" "$OUT/report.md" || return 0
  for f in "$@"; do
    s=${f%%@*} p=
    [ "$s" = "$f" ] || p=${f#*@}
    for n in $s $p; do
      [ -f "$S/$n.npz" ] || { echo "demo-view: $S/$n.npz is missing; $img stays a picture" >&2; return 0; }
    done
    list+="${list:+,}$S/$s.npz${p:+@$S/$p.npz}"
  done
  args+=(--figure "$img=$list")
}
figure figures/batch_compare.png small_batch large_batch
figure figures/interpolation_1d_loss_acc.png interpolation
figure figures/skip_compare.png skip noskip
figure figures/skip_skip_3dsurface.png
figure figures/skip_noskip_3dsurface.png
# the parts of scripts/demo-curvature.sh, when the demo has them
figure figures/wd_compare.png small_batch_wd small_batch
figure figures/trajectory_2dcontour_path.png trajectory@small_batch_path
figure figures/curvature_eig_ratio.png small_batch_eig
$L view --report "$OUT/report.md" "${args[@]}" --title "Loss landscapes in miniature (interactive)" --out "$OUT/index.html" >/dev/null
echo "demo: interactive report: $OUT/index.html (open it in a browser; no server needed)"
