#!/usr/bin/env python3
"""The ViT-vs-CNN example (scripts/example-vit-vs-cnn.sh): a small vision transformer and a small
ResNet of about the same parameter count, trained side by side on a Fashion-MNIST subset, then
exported to ONNX for `landscape scan --model NET.onnx`.

  train_vit_cnn.py train   --fashion DIR --out-dir D [--limit 6000 --epochs 4 --threads 1]
        writes D/vit.onnx, D/cnn.onnx (model.ExportCall's conventions: batch norm kept, state_dict
        names, batch axis free, opset 13), D/vit.pt, D/cnn.pt (state_dicts) and D/train.json
  train_vit_cnn.py hessian --fashion DIR --net D/vit.pt --limit 1000 --steps 60 --out H.json
        λmax and the Hessian's eigenvalue spectral density (ESD) by stochastic Lanczos quadrature
        (PyHessian's method), from torch.autograd's Hessian-vector products
  train_vit_cnn.py esd-plot A.json B.json --out esd.png
        the densities side by side (PIL; no matplotlib needed)

Pixels are normalised as landscape's built-in fashion-mnist:DIR data: (x/255 − 0.2860)/0.3530,
so the scans and Hessians below see exactly the images the networks were trained on. The loss is
the mean cross-entropy, the networks in evaluation mode (batch norm's running statistics).
"""
import argparse
import gzip
import json
import math
import os
import re
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_vit import TinyViT  # noqa: E402

MEAN, STD = 0.2860, 0.3530  # data/norm.go's fashion-mnist statistics


def load_idx(fashion, split, limit):
    """The first limit images (N×1×28×28 float32, normalised) and labels of a Fashion-MNIST split."""
    pre = "train" if split == "train" else "t10k"
    with gzip.open(os.path.join(fashion, f"{pre}-images-idx3-ubyte.gz")) as f:
        magic, n, h, w = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{fashion}/{pre}-images-idx3-ubyte.gz: magic {magic}, want 2051")
        n = min(n, limit) if limit else n
        x = np.frombuffer(f.read(n * h * w), np.uint8).reshape(n, 1, h, w)
    with gzip.open(os.path.join(fashion, f"{pre}-labels-idx1-ubyte.gz")) as f:
        magic, _ = struct.unpack(">II", f.read(8))
        if magic != 2049:
            raise SystemExit(f"{fashion}/{pre}-labels-idx1-ubyte.gz: magic {magic}, want 2049")
        y = np.frombuffer(f.read(n), np.uint8)
    x = (torch.from_numpy(x.astype(np.float32)) / 255 - MEAN) / STD
    return x, torch.from_numpy(y.astype(np.int64))


class Basic(nn.Module):
    """A CIFAR-style residual block: conv-BN-ReLU-conv-BN plus the (1×1 conv + BN when the shape
    changes) shortcut, then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.short = nn.Sequential()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(o)) + self.short(x))


class SmallResNet(nn.Module):
    """conv 1→16, a block at 16 channels (28×28), a block to 32 channels (14×14), global average
    pool, linear: about 20 k parameters."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        self.layer1, self.layer2 = Basic(16, 16, 1), Basic(16, 32, 2)
        self.linear = nn.Linear(32, classes)

    def forward(self, x):
        x = self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x)))))
        return self.linear(x.mean(dim=(2, 3)))


def build(name):
    """vit: 7×7 patches of a 28×28 image (16 tokens and a class token), width 32, 2 pre-norm
    layers of 4 heads, MLP 64; cnn: SmallResNet. Both about 20 k parameters."""
    torch.manual_seed(1)
    if name == "vit":
        net = TinyViT(in_ch=1, classes=10, hw=28, patch=7, d=32, heads=4, depth=2, mlp=64)
        with torch.no_grad():  # onnx_vit's test nets are deliberately random; start these as timm does
            net.cls.normal_(0, 0.02)
            net.pos.normal_(0, 0.02)
        return net
    if name == "cnn":
        return SmallResNet()
    raise SystemExit(f"unknown network {name!r}: want vit or cnn")


def evaluate(net, x, y, batch=500):
    net.eval()
    loss = correct = 0.0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out = net(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(y), correct / len(y)


def fit(net, x, y, epochs, batch, lr):
    """Adam with a cosine learning-rate schedule, weight decay 0, shuffled mini-batches."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * math.ceil(len(y) / batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    g = torch.Generator().manual_seed(2)
    for _ in range(epochs):
        net.train()
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            F.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    return net.eval()


def export(net, path):
    """tools/torch2onnx.py's export (model.ExportCall's conventions) for 1×28×28 inputs."""
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def train(a):
    x, y = load_idx(a.fashion, "train", a.limit)
    xt, yt = load_idx(a.fashion, "test", 2000)
    os.makedirs(a.out_dir, exist_ok=True)
    summary = {"train_images": len(y), "epochs": a.epochs, "test_images": len(yt), "threads": a.threads}
    for name in ("vit", "cnn"):
        net = build(name)
        t = time.perf_counter()
        fit(net, x, y, a.epochs, a.batch, a.lr)
        secs = time.perf_counter() - t
        tr, te, first = evaluate(net, x, y), evaluate(net, xt, yt), evaluate(net, x[:a.check], y[:a.check])
        summary[name] = {"params": sum(p.numel() for p in net.parameters()), "train_seconds": round(secs, 1),
                         "train_loss": tr[0], "train_acc": tr[1], "test_loss": te[0], "test_acc": te[1],
                         f"loss_first_{a.check}": first[0]}
        torch.save(net.state_dict(), os.path.join(a.out_dir, f"{name}.pt"))
        export(net, os.path.join(a.out_dir, f"{name}.onnx"))
        print(f"{name}: {summary[name]['params']} parameters, {secs:.0f} s, train loss {tr[0]:.3f} acc {tr[1]:.3f}, "
              f"test loss {te[0]:.3f} acc {te[1]:.3f}", flush=True)
    with open(os.path.join(a.out_dir, "train.json"), "w") as f:
        json.dump(summary, f, indent=1)


class Hessian:
    """H·v of the mean cross-entropy over (x, y) with respect to every parameter, by double
    backward (tools/torch_hessian.py's product), accumulated in float64."""

    def __init__(self, net, x, y, batch=500):
        self.net, self.x, self.y, self.batch = net, x, y, batch
        self.params = [p for p in net.parameters()]
        self.dim = sum(p.numel() for p in self.params)

    def hvp(self, v):
        vs, o = [], 0
        for p in self.params:
            vs.append(torch.from_numpy(v[o:o + p.numel()]).float().view_as(p))
            o += p.numel()
        acc = np.zeros(self.dim)
        for i in range(0, len(self.y), self.batch):
            l = F.cross_entropy(self.net(self.x[i:i + self.batch]), self.y[i:i + self.batch], reduction="sum") / len(self.y)
            g = torch.autograd.grad(l, self.params, create_graph=True)
            hv = torch.autograd.grad(g, self.params, grad_outputs=vs)
            acc += torch.cat([h.reshape(-1) for h in hv]).double().numpy()
        return acc


def lanczos(hvp, dim, steps, rng):
    """Lanczos with full reorthogonalisation from a Rademacher vector: the Ritz values θ_k, their
    quadrature weights (first components of the tridiagonal's eigenvectors, squared) and the
    residual bounds |β_m · s_mk|."""
    v = rng.choice([-1.0, 1.0], dim) / math.sqrt(dim)
    basis, alpha, beta = [v], [], []
    for j in range(steps):
        w = hvp(basis[-1])
        alpha.append(w @ basis[-1])
        for q in basis:  # full reorthogonalisation (twice is enough)
            w -= (w @ q) * q
        for q in basis:
            w -= (w @ q) * q
        b = np.linalg.norm(w)
        if j == steps - 1 or b < 1e-10:
            break
        beta.append(b)
        basis.append(w / b)
    t = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    theta, s = np.linalg.eigh(t)
    return theta, s[0] ** 2, np.abs(b * s[-1])


def density(theta, weights, bins=1000, sigma2=1e-5, overhead=0.01):
    """PyHessian's density_generate: Gaussians of variance σ² = sigma2·max(1, range) at the Ritz
    values, weighted, on a grid over [min − overhead, max + overhead], normalised to integrate to 1."""
    lo, hi = theta.min() - overhead, theta.max() + overhead
    grid = np.linspace(lo, hi, bins)
    s2 = sigma2 * max(1.0, hi - lo)
    d = (weights[None, :] * np.exp(-(grid[:, None] - theta[None, :]) ** 2 / (2 * s2))).sum(1) / math.sqrt(2 * math.pi * s2)
    return grid, d / (d.sum() * (grid[1] - grid[0]))


def hessian(a):
    name = os.path.basename(a.net).split(".")[0]
    net = build(name)
    net.load_state_dict(torch.load(a.net, map_location="cpu"))
    net.eval()
    x, y = load_idx(a.fashion, "train", a.limit)
    h = Hessian(net, x, y)
    t = time.perf_counter()
    theta, w, res = lanczos(h.hvp, h.dim, a.steps, np.random.default_rng(a.seed))
    grid, d = density(theta, w)
    out = {"net": name, "images": len(y), "params": h.dim, "lanczos_steps": len(theta),
           "lambda_max": float(theta[-1]), "lambda_max_residual": float(res[-1]), "lambda_min": float(theta[0]),
           "ritz_values": theta.tolist(), "ritz_weights": w.tolist(), "seconds": round(time.perf_counter() - t, 1),
           "density": {"grid": grid.tolist(), "values": d.tolist()}}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(f"{name}: lambda_max={theta[-1]:.4g} (Lanczos residual bound {res[-1]:.1e}) lambda_min={theta[0]:.4g} "
          f"lanczos_steps={len(theta)} images={len(y)} {out['seconds']} s", flush=True)


def panel(draw, box, esd):
    """One density on a log axis (10⁻⁶ … the peak) inside box = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    grid, d = np.array(esd["density"]["grid"]), np.array(esd["density"]["values"])
    ld = np.log10(np.maximum(d, 1e-6))
    top = math.ceil(ld.max())
    px = x0 + (grid - grid[0]) / (grid[-1] - grid[0]) * (x1 - x0)
    py = y1 - (ld + 6) / (top + 6) * (y1 - y0)
    draw.rectangle(box, outline="black")
    draw.line(list(zip(px.tolist(), py.tolist())), fill=(31, 119, 180), width=2)
    for e in range(-6, top + 1, 2):
        yy = y1 - (e + 6) / (top + 6) * (y1 - y0)
        draw.line([(x0 - 4, yy), (x0, yy)], fill="black")
        draw.text((x0 - 40, yy - 6), f"1e{e}", fill="black")
    for v in np.linspace(grid[0], grid[-1], 5):
        xx = x0 + (v - grid[0]) / (grid[-1] - grid[0]) * (x1 - x0)
        draw.line([(xx, y1), (xx, y1 + 4)], fill="black")
        draw.text((xx - 15, y1 + 6), f"{v:.3g}", fill="black")
    draw.text((x0, y0 - 30), f"{esd['net']}: ESD of the Hessian, lambda_max = {esd['lambda_max']:.3g}", fill="black")
    if "params" in esd:
        draw.text((x0, y0 - 16), f"{esd['params']} parameters, {esd['images']} images, {esd['lanczos_steps']} Lanczos steps",
                  fill="black")
    draw.text(((x0 + x1) / 2 - 30, y1 + 20), "eigenvalue", fill="black")


def load_esd(path):
    """A Hessian JSON of `hessian` above or of `landscape hessian --out` (top_eigenvalues,
    min_eigenvalue, density), with the keys panel and report use."""
    d = json.load(open(path))
    if "lambda_max" not in d:
        d["lambda_max"], d["lambda_min"] = d["top_eigenvalues"][0], d["min_eigenvalue"]
    d.setdefault("net", os.path.basename(path).rsplit(".", 1)[0].replace("hessian_", ""))
    return d


def esd_plot(a):
    from PIL import Image, ImageDraw
    esds = [load_esd(p) for p in a.files]
    w, h = 420, 320
    img = Image.new("RGB", (w * len(esds), h), "white")
    draw = ImageDraw.Draw(img)
    for i, esd in enumerate(esds):
        panel(draw, (i * w + 55, 45, i * w + w - 15, h - 40), esd)
    img.save(a.out)
    print(a.out)


def rises(plot_log):
    """{net: {"origin": loss, r: rise}} from `landscape plot --rise-at`'s lines."""
    out = {}
    pat = re.compile(r"/(\w+)\.npz: train loss ([-\d.e+]+) at the origin, rise ([-\d.e+]+) at distance ([\d.]+)")
    for m in pat.finditer(open(plot_log).read()):
        d = out.setdefault(m[1], {"origin": float(m[2])})
        d[float(m[4])] = float(m[3])
    return out


def report(a):
    """D/report.md from train.json, the plot log and the Hessian JSONs; fails when a scan's loss at
    the origin is not PyTorch's loss on the same images (within 1e-3 relative)."""
    d = a.dir
    tr, rise = json.load(open(f"{d}/nets/train.json")), rises(f"{d}/logs/plot.txt")
    hs = {n: load_esd(f"{d}/logs/hessian_{n}.json") for n in ("vit", "cnn")}
    rows = []
    for n, label in (("vit", "ViT"), ("cnn", "ResNet")):
        t, r, h = tr[n], rise[n], hs[n]
        ref = t[f"loss_first_{a.limit}"]
        if abs(r["origin"] - ref) > 1e-3 * ref:
            raise SystemExit(f"{d}/surfaces/{n}.npz: loss {r['origin']} at the origin, PyTorch's {ref:.5f} on the same images")
        rows.append(f"| {label} | {t['params']} | {100 * t['train_acc']:.1f}% | {100 * t['test_acc']:.1f}% | "
                    f"{r['origin']:.4f} ({ref:.4f}) | {r[0.25]:.3f} | {r[0.5]:.3f} | {h['lambda_max']:.3g} | {h['lambda_min']:.3g} |")
    sharper = "ViT" if hs["vit"]["lambda_max"] > hs["cnn"]["lambda_max"] else "ResNet"
    wider = "ViT" if rise["vit"][0.5] < rise["cnn"][0.5] else "ResNet"
    text = REPORT.format(seconds=a.seconds, cores=os.cpu_count(), date=time.strftime("%Y-%m-%d", time.gmtime()),
                         n=tr["train_images"], epochs=tr["epochs"], test=tr["test_images"], limit=a.limit,
                         rows="\n".join(rows), sharper=sharper, wider=wider, hess=a.hessian_note,
                         ratio=max(hs["vit"]["lambda_max"], hs["cnn"]["lambda_max"]) / min(hs["vit"]["lambda_max"], hs["cnn"]["lambda_max"]))
    with open(f"{d}/report.md", "w") as f:
        f.write(text)
    print("\n".join(rows))


REPORT = """# ViT vs CNN: loss landscapes of two small networks of the same size

Written by `scripts/example-vit-vs-cnn.sh` in {seconds} s ({cores} cores, {date}).

A vision transformer (7×7 patches of the 28×28 image: 16 tokens and a class token, width 32,
2 pre-norm layers of 4 heads, MLP 64) and a ResNet (a 3×3 conv to 16 channels, a residual
block at 16 channels, one to 32 channels at 14×14, global average pool, linear), trained on the
first {n} Fashion-MNIST training images for {epochs} epochs (Adam, learning rate 2e-3 with a cosine
schedule, batches of 64, no weight decay), then exported to ONNX and scanned by `landscape`.

Surfaces: 2D slices L(θ + xδ + yη) along two random directions normalised per filter (biases,
LayerNorm and batch-norm parameters left out), 11×11 points on [−1, 1]², mean cross-entropy on
the first {limit} training images (networks in evaluation mode). The *loss rise* at distance r is
the mean loss at (±r, 0) and (0, ±r) minus the loss at the minimum: smaller is wider.
λmax, λmin and the eigenvalue spectral density (ESD) are those of the Hessian of the same loss
with respect to every parameter, from {hess}. Batch norm uses its running statistics throughout, as the paper's code.
The ONNX import is checked on the way: each scan's loss at θ must be PyTorch's on the same images.

| network | parameters | train accuracy ({n}) | test accuracy ({test}) | loss at θ: scan (PyTorch) | rise at 0.25 | rise at 0.5 | λmax | λmin |
|---|---|---|---|---|---|---|---|---|
{rows}

By the loss rise the {wider} minimum is the wider one; by the Hessian the {sharper} is the
sharper one (λmax {ratio:.1f}× the other's). Note that these two sharpness measures need not
agree: the filter-normalised rise is invariant to rescaling of filters, λmax is not.

![contours side by side](figures/vit_vs_cnn_compare.png)

<img src="figures/vit_vs_cnn_vit_3dsurface.png" width="49%"> <img src="figures/vit_vs_cnn_cnn_3dsurface.png" width="49%">

![ESD](figures/esd_vit_vs_cnn.png)

Files: nets/ (ONNX exports and PyTorch state_dicts, train.json), surfaces/ (.npz), figures/,
logs/ (training, scans, plot with the loss rises, Hessian JSONs).
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.set_defaults(fn=train)
    t.add_argument("--out-dir", required=True)
    t.add_argument("--limit", type=int, default=6000, help="first N training images")
    t.add_argument("--epochs", type=int, default=4)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--check", type=int, default=1000, help="also record the loss on the first N images (the scans')")
    hs = sub.add_parser("hessian")
    hs.set_defaults(fn=hessian)
    hs.add_argument("--net", required=True, help="D/vit.pt or D/cnn.pt from train")
    hs.add_argument("--limit", type=int, default=1000, help="first N training images (as scan --limit)")
    hs.add_argument("--steps", type=int, default=60, help="Lanczos steps")
    hs.add_argument("--seed", type=int, default=1)
    hs.add_argument("--out", required=True)
    for s in (t, hs):
        s.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
        s.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("esd-plot")
    e.set_defaults(fn=esd_plot)
    e.add_argument("files", nargs="+")
    e.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.set_defaults(fn=report)
    r.add_argument("--dir", required=True, help="the example's output folder")
    r.add_argument("--limit", type=int, default=1000, help="images of the scans")
    r.add_argument("--seconds", type=int, required=True)
    r.add_argument("--hessian-note", required=True)
    a = p.parse_args()
    torch.set_num_threads(getattr(a, "threads", 1))
    a.fn(a)


if __name__ == "__main__":
    main()
