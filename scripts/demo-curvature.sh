# Part 4 of the demo (sourced by scripts/demo.sh after the figures): sharpness in numbers.
#   - λmax and the trace of the Hessian of the mean training loss (landscape hessian) at every
#     minimum, for the report's table beside the loss rise;
#   - the small-batch VGG's optimisation path (its --save-every checkpoints) on the plane of its
#     first two PCA directions (landscape trajectory, scan --dirs, plot --path);
#   - the curvature map |λmin/λmax| around the small-batch minimum on the plane of its
#     filter-normalised surface (same seed: the same directions).
# Uses L, OUT, DATA, elapsed, rise from demo.sh; defines curvature_report for the report.

# hess NAME MODEL LIMIT: λmax, λmin and the trace of nets/NAME.safetensors over LIMIT training images.
hess() {
  if ! $L hessian --model "$2" --weights "$OUT/nets/$1.safetensors" --data "$DATA" --split train --limit "$3" \
      --top 1 --trace --tol 0.05 --max-samples 20 --lanczos-tol 1e-3 --max-steps 40 --quiet \
      --out "$OUT/surfaces/${1}_hessian.json" >"$OUT/logs/hessian_$1.txt" 2>&1; then
    cat "$OUT/logs/hessian_$1.txt" >&2
    exit 1
  fi
  echo "demo: [$(elapsed) s] hessian $1: $(grep -h '^top_eigenvalues\|^trace' "$OUT/logs/hessian_$1.txt" | tr '\n' ' ')"
}
for n in small_batch large_batch small_batch_wd; do hess "$n" vgg5-c8 200; done
hess skip resnet56-c4 50
hess noskip resnet56-c4-noshort 50

# The optimisation path: epochs 0 (initial weights) … 15 of the small-batch run.
CKPTS=$(ls "$OUT"/nets/small_batch_epoch*.safetensors | grep -v '\.opt\.' | sort -V | paste -sd, -)
$L trajectory --model vgg5-c8 --final "$OUT/nets/small_batch.safetensors" --checkpoints "$CKPTS" \
  --out "$OUT/nets/small_batch_pca.safetensors" --path "$OUT/surfaces/small_batch_path.npz" >"$OUT/logs/trajectory.txt"
# the plane's extent: the path's, and a margin
EXT=$(sed -n 's/.*: x=\([-0-9.e+]*\) y=\([-0-9.e+]*\)$/\1 \2/p' "$OUT/logs/trajectory.txt" |
  awk '{ x = ($1 < 0 ? -$1 : $1); y = ($2 < 0 ? -$2 : $2); if (x > mx) mx = x; if (y > my) my = y }
       END { printf "%.3g %.3g", 1.15 * mx + 0.05, 1.15 * my + 0.05 }')
AX=${EXT% *}; AY=${EXT#* }
scan trajectory vgg5-c8 --weights "$OUT/nets/small_batch.safetensors" --dirs "$OUT/nets/small_batch_pca.safetensors" \
  --norm none --limit 300 --x "-$AX:$AX:13" --y "-$AY:$AY:13"
$L plot "$OUT/surfaces/trajectory.npz" --path "$OUT/surfaces/small_batch_path.npz" --out-prefix "$OUT/figures/trajectory" \
  --vmin 0.1 --vmax 5 --vlevel 0.25 >"$OUT/logs/plot_trajectory.txt"

# The curvature map around the small-batch minimum (seed 0: the plane of surfaces/small_batch.npz).
if ! $L hessian --model vgg5-c8 --weights "$OUT/nets/small_batch.safetensors" --data "$DATA" --split train --limit 100 \
    --x -1:1:5 --y -1:1:5 --lanczos-tol 1e-3 --max-steps 40 --quiet --out "$OUT/surfaces/small_batch_eig.npz" \
    >"$OUT/logs/hessian_map.txt" 2>&1; then
  cat "$OUT/logs/hessian_map.txt" >&2
  exit 1
fi
$L plot "$OUT/surfaces/small_batch_eig.npz" --out-prefix "$OUT/figures/curvature" --vmax 5 >"$OUT/logs/plot_curvature.txt"
echo "demo: [$(elapsed) s] trajectory and curvature map drawn"

# hfield NAME KEY: a number from logs/hessian_NAME.txt (KEY=value).
hfield() { tr ' ' '\n' <"$OUT/logs/hessian_$1.txt" | sed -n "s/^$2=\([^,]*\).*/\1/p" | head -n 1; }
sharp_row() { echo "| $2 | $(rise "$1" 0.25) | $(rise "$1" 0.5) | $(hfield "$1" top_eigenvalues) | $(hfield "$1" min_eigenvalue) | $(hfield "$1" trace) ± $(hfield "$1" trace_stderr) |"; }

curvature_report() {
  cat <<EOR
## 3. Weight decay

The small-batch vgg5-c8 trained again with weight decay 5e-4 (everything else equal). The
paper notes that weight decay shrinks the weights, so that without filter normalisation a
decayed minimum would look sharper; with it, the comparison is fair.
$(wider small_batch_wd small_batch "weight-decay" "no-weight-decay")

![weight decay: contours](figures/wd_compare.png)

## 4. Sharpness in numbers

The loss rise beside the curvature of the mean training loss at each minimum: λmax and λmin,
the largest and smallest Hessian eigenvalues (Lanczos), and the trace (Hutchinson, ± its
standard error), from exact Hessian-vector products over the first 200 (VGG) or 50 (ResNet)
training images (\`landscape hessian\`; at most 40 Lanczos steps, 20 trace samples). Larger
λmax and trace mean a sharper minimum — but unlike the filter-normalised rise they depend on the
weights' scale (the paper's argument for filter normalisation): weight decay's smaller weights
raise them even where the rise is smaller.

| minimum | loss rise at 0.25 | loss rise at 0.5 | λmax | λmin | trace |
|---|---|---|---|---|---|
$(sharp_row small_batch "vgg5-c8, batch 32")
$(sharp_row large_batch "vgg5-c8, batch 1000")
$(sharp_row small_batch_wd "vgg5-c8, batch 32, weight decay 5e-4")
$(sharp_row skip "resnet56-c4, skip connections")
$(sharp_row noskip "resnet56-c4-noshort")

### The optimisation path

The small-batch run's checkpoints (epoch 0 = the initial weights, … epoch 15) projected on the
plane of the first two principal components of θ_epoch − θ_final (markers 1 … 16: epochs
0 … 15, the last at the origin) (\`landscape trajectory\`, as
the paper's plot_trajectory.py; $(sed -n 's/^explained_variance_ratio=\([^ ]*\).*/explained-variance ratios \1/p' "$OUT/logs/trajectory.txt")),
over the loss on that plane (\`scan --dirs\`). Random directions would miss the path almost
entirely; these capture most of its variation.

![trajectory](figures/trajectory_2dcontour_path.png)

### Curvature map

|λmin/λmax| on the plane of the small-batch surface (5×5 points, 100 images): near zero the
loss is locally convex; large values mean strong negative curvature (the paper's Section 6).
$(tail -n 1 "$OUT/logs/hessian_map.txt")

![curvature](figures/curvature_eig_ratio.png)
EOR
}
