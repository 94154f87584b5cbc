#!/usr/bin/env python3
"""Statistics of the points scripts/bf16-error.sh appended to its ROWS file (one JSON line each),
per model over every seed and point: the mean, median and largest relative bf16 error of
landscape and of PyTorch autocast, how often ours is the larger, and the largest fp32 difference
between the two programs.

  bf16_error_stats.py ROWS.jsonl [--points]

--points first prints, per model, one row per α with the fp32 loss and both errors of each seed.
"""
import collections
import json
import sys

import numpy as np


def points(model, rows):
    """The per-point table of one model: α, then per seed the fp32 loss, ours and autocast's error."""
    seeds = sorted({r["seed"] for r in rows}, key=str)
    print(f"{model}:\n\n| α | " + " | ".join(f"seed {s}: fp32 loss, ours, autocast" for s in seeds) + " |")
    print("|---|" + "---|" * len(seeds))
    for a in sorted({r["alpha"] for r in rows}):
        cells = []
        for s in seeds:
            r = next(q for q in rows if q["seed"] == s and q["alpha"] == a)
            cells.append(f"{r['fp32']:.4f}, {r['err']:.2e}, {r['err_torch']:.2e}")
        print(f"| {a:+.2f} | " + " | ".join(cells) + " |")
    print()


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--points"]):
        raise SystemExit(__doc__)
    by = collections.defaultdict(list)
    for line in open(sys.argv[1]):
        r = json.loads(line)
        by[r["model"].split(",")[0]].append(r)  # the label without ", seed N"
    if sys.argv[2:]:
        for model, rows in by.items():
            points(model, rows)
    print("| model | seeds × points | mean ours / autocast | median ours / autocast | max ours / autocast "
          "| points where ours > autocast | fp32 largest rel. diff |")
    print("|---|---|---|---|---|---|---|")
    for model, rows in by.items():
        ours = np.array([r["err"] for r in rows])
        theirs = np.array([r["err_torch"] for r in rows])
        diff = max(abs(r["fp32"] - r["fp32_torch"]) / r["fp32_torch"] for r in rows)
        seeds = len({r["seed"] for r in rows})
        stat = " | ".join(f"{f(ours):.2e} / {f(theirs):.2e}" for f in (np.mean, np.median, np.max))
        print(f"| {model} | {seeds} × {len(rows) // seeds} | {stat} | {(ours > theirs).sum()} of {len(rows)} "
              f"| {diff:.1e} |")


if __name__ == "__main__":
    main()
