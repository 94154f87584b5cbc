#!/usr/bin/env python3
"""numpy reference for `landscape trajectory`: PCA of the checkpoints' offsets from the final
weights, as the paper's plot_trajectory.py (sklearn's PCA = centred matrix, SVD).

  pca_ref.py --final W --checkpoints C1,C2,... --names n1,n2,... --ignore biasbn|none --out ref.json

names lists the parameters in order (the matrix's column blocks). Writes {"components": [pc1,
pc2], "explained_variance", "explained_variance_ratio", "proj_x", "proj_y"}.
"""
import argparse, json
import numpy as np
from safetensors_np import st_read

p = argparse.ArgumentParser()
p.add_argument("--final", required=True)
p.add_argument("--checkpoints", required=True)
p.add_argument("--names", required=True)
p.add_argument("--ignore", default="biasbn")
p.add_argument("--out", required=True)
a = p.parse_args()
final = st_read(a.final)
names = a.names.split(",")
rows = []
for c in a.checkpoints.split(","):
    w = st_read(c)
    parts = []
    for n in names:
        d = w[n].astype(np.float64) - final[n].astype(np.float64)
        if a.ignore == "biasbn" and d.ndim <= 1:
            d = np.zeros_like(d)
        parts.append(d.reshape(-1))
    rows.append(np.concatenate(parts))
m = np.array(rows)
raw = m.copy()
m = m - m.mean(axis=0)
u, s, vt = np.linalg.svd(m, full_matrices=False)
var = s ** 2 / (len(rows) - 1)
comps = vt[:2]
json.dump({"components": comps.tolist(), "explained_variance": var[:2].tolist(),
           "explained_variance_ratio": (var[:2] / var.sum()).tolist(),
           "proj_x": (raw @ comps[0]).tolist(), "proj_y": (raw @ comps[1]).tolist()}, open(a.out, "w"))
