#!/usr/bin/env python3
"""PyTorch reference for `landscape train`: the same SGD steps from the same weights on the same
batches, to check the Go trainer against.

  torch_train.py train --model M --init W.safetensors --data KIND:DIR [--split S] [--limit N]
      --batch-size B --epochs E --lr LR --momentum M --wd WD [--nesterov] [--lr-drops 1,2]
      [--lr-gamma G] --out OUT.safetensors [--out-double OUT64.safetensors]
  torch_train.py names --model M[,M2...] --in-ch C --hw HW [--classes K]
      (state_dict names and shapes of each network, as JSON {name: [[key, shape], ...]})

Batches are taken in file order (landscape train --no-shuffle --augment none), the last one
partial; the network is in training mode throughout (batch statistics, running averages) and the
optimizer is torch.optim.SGD. After each epoch listed in --lr-drops the learning rate is
multiplied by --lr-gamma, as in the paper's cifar10/main.py.

The zoo networks come from ../shared/peer/nets.py (written independently of the Go code); the
small ones (resnetD-cC[-noshort], vgg5-cC) are built here from nets.py's pieces.
"""
import argparse, gzip, json, os, re, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
for cand in [os.path.join(HERE, "..", "..", "shared", "peer"), os.environ.get("LANDSCAPE_PEER", "")]:
    if cand and os.path.exists(os.path.join(cand, "nets.py")):
        sys.path.insert(0, cand)
        break
import nets  # noqa: E402

DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def st_read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(body[b:e], dtype=DT[v["dtype"]]).reshape(v["shape"]).copy()
    return out


def st_write(path, tensors):
    hdr, body = {}, b""
    for k, a in tensors.items():
        a = np.require(a, requirements="C")
        dt = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        hdr[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [len(body), len(body) + a.nbytes]}
        body += a.tobytes()
    js = json.dumps(hdr).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + body)


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


def idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        r, c = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw[16:], np.uint8).reshape(n, 1, r, c)
    return np.frombuffer(raw[8:], np.uint8)


def find(d, base):
    for s in ("", ".gz"):
        if os.path.exists(os.path.join(d, base + s)):
            return os.path.join(d, base + s)
    raise FileNotFoundError(base)


def load_data(spec, split, limit):
    """The IDX/CIFAR files normalised as torchvision's ToTensor + Normalize (as tools/torch_ref.py)."""
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


def train(a):
    run(a, a.out, False)
    if a.out_double:
        run(a, a.out_double, True)


def run(a, out, double):
    x, y = load_data(a.data, a.split, a.limit)
    w = st_read(a.init)
    conv1 = "features.0.weight" if a.model.startswith("vgg") else "conv1.weight"
    last = "classifier.weight" if a.model.startswith("vgg") else "linear.weight"
    net = build(a.model, w[conv1].shape[1], w[last].shape[0], x.shape[-1])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    if double:
        net.double()
        x = x.double()
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum, weight_decay=a.wd, nesterov=a.nesterov)
    drops = [int(d) for d in a.lr_drops.split(",") if d.strip()]
    losses = []
    for epoch in range(1, a.epochs + 1):
        for i in range(0, len(y), a.batch_size):
            opt.zero_grad()
            loss = F.cross_entropy(net(x[i:i + a.batch_size]), y[i:i + a.batch_size])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if epoch in drops:
            for g in opt.param_groups:
                g["lr"] *= a.lr_gamma
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    st_write(out, {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in sd.items()})
    print(json.dumps({"out": out, "losses": losses}))


def names(a):
    out = {}
    for m in a.model.split(","):
        net = build(m, a.in_ch, a.classes, a.hw)
        out[m] = [[k, list(v.shape)] for k, v in net.state_dict().items()]
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    for f in ("--model", "--init", "--data", "--out"):
        t.add_argument(f, required=True)
    t.add_argument("--split", default="train")
    t.add_argument("--limit", type=int, default=0)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--wd", type=float, default=5e-4)
    t.add_argument("--nesterov", action="store_true")
    t.add_argument("--lr-drops", default="")
    t.add_argument("--lr-gamma", type=float, default=0.1)
    t.add_argument("--out-double", default="", help="also train in float64 (a reference for both float32 runs) and write the result here")
    nm = sub.add_parser("names")
    nm.add_argument("--model", required=True)
    nm.add_argument("--in-ch", type=int, default=3)
    nm.add_argument("--classes", type=int, default=10)
    nm.add_argument("--hw", type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(1)  # tiny networks: threads only add contention
    {"train": train, "names": names}[a.cmd](a)


if __name__ == "__main__":  # importable: build() serves other tools
    main()
