#!/usr/bin/env python3
"""Shared pieces of the PyTorch reference tools (torch_ref.py, torch_onnx_ref.py, torch_train.py,
torch_hessian.py): safetensors read/write with numpy, the networks (nets.py beside this file,
written independently of the Go code, plus the small resnetD-cC[-noshort] and vgg5-cC built from
its pieces), the IDX/CIFAR data normalised as torchvision's ToTensor + Normalize, and the loss
and accuracy at points of a plane (eval_points)."""
import collections
import json, os, re, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402

from idx_np import find, idx  # noqa: E402
from safetensors_np import st_read, st_write  # noqa: F401 (re-exported)


class NarrowResNet(nn.Module):
    """nets.CifarResNet with c, 2c, 4c channels (nets.Block blocks, nets.CifarResNet.forward)."""
    def __init__(self, depth, in_ch, classes, shortcut, c):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_ch, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        cin = c
        for i, (cout, stride) in enumerate([(c, 1), (2 * c, 2), (4 * c, 2)]):
            blocks = []
            for k in range(n):
                blocks.append(nets.Block(cin, cout, stride if k == 0 else 1, shortcut))
                cin = cout
            setattr(self, f"layer{i+1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(cin, classes)

    forward = nets.CifarResNet.forward


class VGG5(nn.Module):
    """nets.VGG9's layout with conv layers c, M, 2c, M, 4c, M and fc Linear(4c·s·s → 4c), BN1d, ReLU."""
    def __init__(self, in_ch, classes, hw, c):
        super().__init__()
        layers, cin, s = [], in_ch, hw
        for v in [c, "M", 2 * c, "M", 4 * c, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                s = -(-s // 2)
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(cin * s * s, 4 * c), nn.BatchNorm1d(4 * c), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(4 * c, classes)

    forward = nets.VGG9.forward


def build(name, in_ch, classes, hw):
    m = re.fullmatch(r"resnet(\d+)-c(\d+)(-noshort)?", name)
    if m:
        return NarrowResNet(int(m.group(1)), in_ch, classes, m.group(3) is None, int(m.group(2)))
    m = re.fullmatch(r"vgg5-c(\d+)", name)
    if m:
        return VGG5(in_ch, classes, hw, int(m.group(1)))
    m = re.fullmatch(r"wrn(\d+)-(\d+)(-noshort)?", name)
    if m:
        return nets.CifarResNet(int(m.group(1)), in_ch, classes, m.group(3) is None, int(m.group(2)))
    return nets.build(name, in_ch, classes, hw=hw)


def load_data(spec, split, limit):
    """The IDX/CIFAR files normalised as torchvision's ToTensor + Normalize."""
    kind, d = spec.split(":", 1)
    if kind in ("fashion-mnist", "mnist"):
        pre = "train" if split == "train" else "t10k"
        x, y = idx(find(d, pre + "-images-idx3-ubyte")), idx(find(d, pre + "-labels-idx1-ubyte"))
        mean, std = ((0.2860,), (0.3530,)) if kind == "fashion-mnist" else ((0.1307,), (0.3081,))
    else:
        files = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
        recs = np.concatenate([np.fromfile(os.path.join(d, f), np.uint8).reshape(-1, 3073) for f in files])
        x, y = recs[:, 1:].reshape(-1, 3, 32, 32), recs[:, 0]
        mean = (125.3 / 255, 123.0 / 255, 113.9 / 255)
        std = (63.0 / 255, 62.1 / 255, 66.7 / 255)
    if limit:
        x, y = x[:limit], y[:limit]
    t = torch.from_numpy(x.astype(np.float32)).div(255)
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return t.sub(m).div(s), torch.from_numpy(y.astype(np.int64))


def names(a):
    """Prints {model: [[key, shape], ...]} for each comma-separated --model."""
    out = {}
    for m in a.model.split(","):
        net = build(m, a.in_ch, a.classes, a.hw)
        out[m] = [[k, list(v.shape)] for k, v in net.state_dict().items()]
    print(json.dumps(out))


def load_state(net, sd):
    """net.load_state_dict(sd) with the module versions of net's own state_dict attached (a plain
    dict has none, and torchvision's MNASNet refuses a state_dict without its version)."""
    sd = collections.OrderedDict(sd)
    sd._metadata = getattr(net.state_dict(), "_metadata", None)
    net.load_state_dict(sd)


def eval_points(net, weights, dirs, x, y, points):
    """Loss and accuracy (%) of net in evaluation mode, with the state_dict weights, at each point
    a,b of points ('a,b;a,b;...'), moved as the paper's code (tomgoldstein/loss-landscape) moves
    them: w + (dx*a + dy*b) for each tensor with a direction x.<name> (and y.<name>) in dirs, the
    others unchanged. The loss is the mean cross-entropy over batches of 128."""
    load_state(net, {k: torch.from_numpy(v) for k, v in weights.items()})
    net.eval()
    base = {k: v.detach().clone() for k, v in net.state_dict().items()}
    res = []
    for pt in points.split(";"):
        al, be = (float(v) for v in pt.split(","))
        sd = {}
        for k, v in base.items():
            if "x." + k in dirs:  # paper code: w + (dx*a + dy*b)
                ch = torch.from_numpy(dirs["x." + k]) * al
                if "y." + k in dirs:
                    ch = ch + torch.from_numpy(dirs["y." + k]) * be
                sd[k] = v + ch.type(v.dtype)
            else:
                sd[k] = v
        load_state(net, sd)
        total, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(y), 128):
                out = net(x[i:i + 128])
                t = y[i:i + 128]
                total += F.cross_entropy(out, t).item() * len(t)
                correct += torch.max(out.data, 1)[1].eq(t).sum().item()
        res.append({"loss": total / len(y), "acc": 100.0 * correct / len(y)})
    return res
