#!/usr/bin/env python3
"""PyTorch's own bfloat16 error on a loss landscape: the loss at each point in fp32 and under
torch.autocast("cpu", dtype=torch.bfloat16), the precision `landscape scan --precision bf16`
emulates, with the same weights, directions and data as a landscape scan.

  torch_bf16_error.py --model M --weights W --dirs D --data KIND:DIR --split S --limit N \
      --points='a,b;a,b;...' --out result.json [--classes 10]

M is a zoo name (torchio.build) or tv:NAME, a torchvision classifier built as onnx_nets.build
builds it (weights=None, --classes classes), whose ONNX export landscape scans.

result.json: {"fp32": [{"loss", "acc"}...], "bf16": [...]} in the order of --points (see
torchio.eval_points for how a point moves the weights).
"""
import argparse, json
import torch

import onnx_nets
from torchio import build, eval_points, load_data, st_read

p = argparse.ArgumentParser()
for f in ("--model", "--weights", "--dirs", "--data", "--points", "--out"):
    p.add_argument(f, required=True)
p.add_argument("--split", default="test")
p.add_argument("--limit", type=int, default=0)
p.add_argument("--classes", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(2)
x, y = load_data(a.data, a.split, a.limit)
w, d = st_read(a.weights), st_read(a.dirs)
if a.model.startswith("tv:"):
    net = onnx_nets.build(a.model, x.shape[1], a.classes)
else:
    net = build(a.model, x.shape[1], a.classes, x.shape[-1])
res = {"fp32": eval_points(net, w, d, x, y, a.points), "bf16": []}
# One autocast region per point: autocast caches its bfloat16 copies of the parameters for the
# whole region, so a region around several points would compute every point after the first
# with the first one's weights (eval_points loads each point's weights in place).
for pt in a.points.split(";"):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        res["bf16"] += eval_points(net, w, d, x, y, pt)
json.dump(res, open(a.out, "w"))
