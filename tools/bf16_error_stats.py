#!/usr/bin/env python3
"""Statistics of the points scripts/bf16-error.sh appended to its ROWS file (one JSON line each),
per model over every seed and point: the mean, median and largest relative bf16 error of
landscape and of PyTorch autocast, how often ours is the larger, and the largest fp32 difference
between the two programs.

  bf16_error_stats.py ROWS.jsonl
"""
import collections
import json
import sys

import numpy as np


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    by = collections.defaultdict(list)
    for line in open(sys.argv[1]):
        r = json.loads(line)
        by[r["model"].split(",")[0]].append(r)  # the label without ", seed N"
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
