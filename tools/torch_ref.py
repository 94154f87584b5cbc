#!/usr/bin/env python3
"""PyTorch reference for landscape's tests: exports zoo networks as safetensors and evaluates
loss/accuracy at grid points exactly as the paper's code (tomgoldstein/loss-landscape) does.

  torch_ref.py export --model resnet20 --in-ch 1 --hw 28 --seed 1 --out w.safetensors [--var-scale S]
  torch_ref.py names --model M1,M2 --in-ch C --hw HW  (state_dict names and shapes as JSON)
  torch_ref.py eval --model M --weights W --dirs D --data KIND:DIR --split S --limit N \
      --points 'a,b;a,b;...' --dir-type weights|states --out result.json

The network definitions are ../shared/peer/nets.py (written independently of the Go code).
Data are read from the IDX/CIFAR files and normalised as torchvision's ToTensor + Normalize do.
"""
import argparse, gzip, json, os, struct, sys
from contextlib import nullcontext
import numpy as np
import torch
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


def build(name, in_ch, classes, hw):
    if name.startswith("wrn"):
        depth, width = name[3:].split("-")[:2]
        return nets.CifarResNet(int(depth), in_ch, classes, not name.endswith("-noshort"), int(width))
    return nets.build(name, in_ch, classes, hw=hw)


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
    t = torch.from_numpy(x.astype(np.float32)).div(255)  # ToTensor
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return t.sub(m).div(s), torch.from_numpy(y.astype(np.int64))  # Normalize


def evaluate(a):
    x, y = load_data(a.data, a.split, a.limit)
    w = st_read(a.weights)
    d = st_read(a.dirs)
    in_ch = w["features.0.weight" if a.model == "vgg9" else "conv1.weight"].shape[1]
    classes = w["classifier.weight" if a.model == "vgg9" else "linear.weight"].shape[0]
    net = build(a.model, in_ch, classes, x.shape[-1])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    net.eval()
    base = {k: v.detach().clone() for k, v in net.state_dict().items()}
    res = []
    for pt in a.points.split(";"):
        al, be = (float(v) for v in pt.split(","))
        sd = {}
        for k, v in base.items():
            if "x." + k in d:  # paper code: w + (dx*a + dy*b)
                ch = torch.from_numpy(d["x." + k]) * al
                if "y." + k in d:
                    ch = ch + torch.from_numpy(d["y." + k]) * be
                sd[k] = v + ch.type(v.dtype)
            else:
                sd[k] = v
        net.load_state_dict(sd)
        total, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(y), 128):
                out = net(x[i:i + 128])
                t = y[i:i + 128]
                total += F.cross_entropy(out, t).item() * len(t)
                correct += torch.max(out.data, 1)[1].eq(t).sum().item()
        res.append({"loss": total / len(y), "acc": 100.0 * correct / len(y)})
    json.dump(res, open(a.out, "w"))


def names(a):
    """Prints {model: [[name, shape], ...]} for each comma-separated model (meta tensors: no memory)."""
    out = {}
    for m in a.model.split(","):
        with torch.device("meta") if hasattr(torch, "device") and hasattr(torch.device, "__enter__") else nullcontext():
            net = build(m, a.in_ch, a.classes, a.hw)
        out[m] = [[k, list(v.shape)] for k, v in net.state_dict().items()]
    print(json.dumps(out))


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
torch.set_num_threads(2)
{"export": export, "eval": evaluate, "names": names}[a.cmd](a)
