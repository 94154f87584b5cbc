#!/usr/bin/env python3
"""PyTorch reference for the ONNX tests (cmd/landscape/onnx_torch_test.go): builds the networks
of onnx_nets.py, exports them with torch2onnx, and evaluates grid points as the paper's code does.

  torch_onnx_ref.py export --net resnet18 --seed 1 --onnx net.onnx [--weights w.safetensors] [--keep-last-bn]
  (--net zoo:resnet20: a zoo network of torchio.build, for the ONNX-against-zoo comparison)
  torch_onnx_ref.py exports   (one export per line of standard input, its arguments as above, in
      one process; each answered by a line on standard output: "ok" or "error: …")
  torch_onnx_ref.py eval --net resnet18 --weights W --dirs D --data KIND:DIR --split S --limit N \
      --points 'a,b;a,b;...' --out result.json

--data is a landscape data spec: the IDX/CIFAR kinds (torchio.load_data), or npz:FILE with x/y or
x_<split>/y_<split> (uint8 pixels scaled to [0, 1], float32 as they are, no normalisation).
"""
import argparse
import json
import shlex
import sys

import numpy as np
import torch

import onnx_nets
import torch2onnx
import torchio
from torchio import eval_points, load_data, st_read


def build(name, in_ch, classes, hw):
    if name.startswith("zoo:"):
        return torchio.build(name[4:], in_ch, classes, hw)
    return onnx_nets.build(name, in_ch, classes)


def export(a):
    torch.manual_seed(a.seed)  # the constructor's initialisation too: one export, one network
    net = onnx_nets.randomize(build(a.net, a.in_ch, a.classes, a.hw), a.seed, a.keep_last_bn)
    shape = [a.in_ch, a.hw, a.hw] if not a.shape else [int(v) for v in a.shape.split(",")]
    if a.fuse_bn:  # PyTorch's default export: conv→BN fused, weights renamed onnx::Conv_NN
        torch.onnx.export(net.eval(), torch.zeros(1, *shape), a.onnx, opset_version=a.opset)
    else:
        torch2onnx.export(net, a.onnx, shape, a.opset)
    if a.weights:
        torch2onnx.save_weights(net, a.weights)


def load(spec, split, limit):
    if not spec.startswith("npz:"):
        return load_data(spec, split, limit)
    f = np.load(spec[4:])
    x, y = (f["x"], f["y"]) if "x" in f else (f["x_" + split], f["y_" + split])
    if limit:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.astype(np.float32) / 255 if x.dtype == np.uint8 else x.astype(np.float32))
    return x, torch.from_numpy(y.astype(np.int64))


def evaluate(a):
    x, y = load(a.data, a.split, a.limit)
    w = st_read(a.weights)
    d = st_read(a.dirs)
    net = build(a.net, x.shape[1], a.classes, x.shape[-1])
    res = eval_points(net, w, d, x, y, a.points)
    json.dump(res, open(a.out, "w"))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
e = sub.add_parser("export")
for f in ("--net", "--onnx"):
    e.add_argument(f, required=True)
e.add_argument("--weights", help="also write the state_dict there (safetensors)")
e.add_argument("--seed", type=int, default=0)
e.add_argument("--in-ch", type=int, default=3)
e.add_argument("--hw", type=int, default=32)
e.add_argument("--shape", help="C,H,W of the export's input (default in-ch,hw,hw)")
e.add_argument("--classes", type=int, default=10)
e.add_argument("--opset", type=int, default=13)
e.add_argument("--keep-last-bn", action="store_true")
e.add_argument("--fuse-bn", action="store_true", help="export with PyTorch's defaults (TrainingMode.EVAL)")
sub.add_parser("exports", help="one export per line of standard input (its arguments), in one process, "
               "each answered by a line: ok, or error: and why")
v = sub.add_parser("eval")
for f in ("--net", "--weights", "--dirs", "--data", "--points", "--out"):
    v.add_argument(f, required=True)
v.add_argument("--split", default="test")
v.add_argument("--limit", type=int, default=0)
v.add_argument("--classes", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(1)
if a.cmd == "exports":
    for line in sys.stdin:  # answered by a line each: "ok", or "error: " and why
        try:
            export(e.parse_args(shlex.split(line)))
            print("ok", flush=True)
        except (Exception, SystemExit) as err:
            print("error:", repr(err).replace("\n", " "), flush=True)
else:
    {"export": export, "eval": evaluate}[a.cmd](a)
