#!/usr/bin/env python3
"""PyTorch reference for landscape's tests: exports zoo networks as safetensors and evaluates
loss/accuracy at grid points exactly as the paper's code (tomgoldstein/loss-landscape) does.

  torch_ref.py export --model resnet20 --in-ch 1 --hw 28 --seed 1 --out w.safetensors [--var-scale S]
  torch_ref.py names --model M1,M2 --in-ch C --hw HW  (state_dict names and shapes as JSON)
  torch_ref.py eval --model M --weights W --dirs D --data KIND:DIR --split S --limit N \
      --points 'a,b;a,b;...' --dir-type weights|states --out result.json

The network definitions are tools/nets.py (written independently of the Go code).
Data are read from the IDX/CIFAR files and normalised as torchvision's ToTensor + Normalize do.
"""
import argparse, json
import torch

from torchio import build, eval_points, load_data, names, st_read, st_write


def export(a):
    torch.manual_seed(a.seed)
    net = build(a.model, a.in_ch, a.classes, a.hw)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5).mul_(a.var_scale)
                m.num_batches_tracked.fill_(7)
    st_write(a.out, {k: v.detach().numpy() for k, v in net.state_dict().items()})


def evaluate(a):
    x, y = load_data(a.data, a.split, a.limit)
    w = st_read(a.weights)
    d = st_read(a.dirs)
    in_ch = w["features.0.weight" if a.model == "vgg9" else "conv1.weight"].shape[1]
    classes = w["classifier.weight" if a.model == "vgg9" else "linear.weight"].shape[0]
    net = build(a.model, in_ch, classes, x.shape[-1])
    res = eval_points(net, w, d, x, y, a.points)
    json.dump(res, open(a.out, "w"))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
e = sub.add_parser("export")
e.add_argument("--model", required=True)
e.add_argument("--in-ch", type=int, default=3)
e.add_argument("--classes", type=int, default=10)
e.add_argument("--hw", type=int, default=32)
e.add_argument("--seed", type=int, default=0)
e.add_argument("--var-scale", type=float, default=1.0)
e.add_argument("--out", required=True)
nm = sub.add_parser("names")
nm.add_argument("--model", required=True)
nm.add_argument("--in-ch", type=int, default=3)
nm.add_argument("--classes", type=int, default=10)
nm.add_argument("--hw", type=int, default=32)
v = sub.add_parser("eval")
for f in ("--model", "--weights", "--dirs", "--data", "--points", "--out"):
    v.add_argument(f, required=True)
v.add_argument("--split", default="test")
v.add_argument("--limit", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(1)  # small test networks: threads only add contention
{"export": export, "eval": evaluate, "names": names}[a.cmd](a)
