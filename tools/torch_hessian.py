#!/usr/bin/env python3
"""PyTorch reference for landscape's Hessian code: Hessian-vector products of the mean
cross-entropy over a data set by torch.autograd (double backward), with the network in
evaluation mode (batch norm's running statistics fixed), with respect to every parameter in
named_parameters() order (conv/linear weights and biases, batch-norm weight and bias).

  torch_hessian.py hvp   --model M --weights W --data KIND:DIR --split S --limit N \
                         --vectors V.safetensors --out hv.json [--double]
        V holds tensors v<i>.<param name>; writes {"names", "loss", "hv": [[...], ...]}
  torch_hessian.py eig   --model M --weights W --data ... --k K --out eig.json
        scipy.sparse.linalg.eigsh on the autograd HVP (float64): {"top": [...] descending, "min": m}
  torch_hessian.py bench --model M --images N --batch B --reps R [--threads T]
        HVPs per second on random weights and images (float32), one line of JSON

The networks are tools/torchio.py's (../shared/peer/nets.py and its small variants), or with
--model onnx:NAME tools/onnx_nets.py's (the networks the ONNX tests export) with --classes outputs;
vectors are then read by parameter name, whatever order the ONNX import keeps.
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn.functional as F

from torchio import build, load_data, load_state, st_read


def hardsigmoid(x, inplace=False):
    """F.hardsigmoid as relu6(x + 3)/6: the same function, but PyTorch 1.13 has no double backward
    for hardsigmoid_backward (it raises, or with several threads may hang)."""
    return F.relu6(x + 3) / 6


def load_net(a, x):
    w = st_read(a.weights)
    if a.model.startswith("onnx:"):  # a network of onnx_nets.py, as exported to ONNX
        import onnx_nets
        F.hardsigmoid = hardsigmoid  # nn.Hardsigmoid calls it too
        net = onnx_nets.build(a.model[5:], x.shape[1], a.classes)
        load_state(net, {k: torch.from_numpy(v) for k, v in w.items()})
        net.eval()
        return net
    conv = "features.0.weight" if "features.0.weight" in w else "conv1.weight"
    fc = "classifier.weight" if "classifier.weight" in w else "linear.weight"
    net = build(a.model, w[conv].shape[1], w[fc].shape[0], x.shape[-1])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()})
    net.eval()
    return net


class Hessian:
    """H·v of (1/N) Σ_n ce(net(x_n), y_n), summed over batches of the data set."""

    def __init__(self, net, x, y, batch=256):
        self.net, self.x, self.y, self.batch = net, x, y, batch
        self.params = [p for _, p in net.named_parameters()]
        self.names = [n for n, _ in net.named_parameters()]
        self.sizes = [p.numel() for p in self.params]
        self.dim = sum(self.sizes)

    def split(self, flat):
        out, o = [], 0
        for p, s in zip(self.params, self.sizes):
            out.append(flat[o:o + s].view_as(p))
            o += s
        return out

    def loss(self):
        with torch.no_grad():
            return sum(F.cross_entropy(self.net(self.x[i:i + self.batch]), self.y[i:i + self.batch], reduction="sum").item()
                       for i in range(0, len(self.y), self.batch)) / len(self.y)

    def hvp(self, flat):
        vs = self.split(flat)
        acc = torch.zeros(self.dim, dtype=torch.float64)
        n = len(self.y)
        for i in range(0, n, self.batch):
            out = self.net(self.x[i:i + self.batch])
            l = F.cross_entropy(out, self.y[i:i + self.batch], reduction="sum") / n
            g = torch.autograd.grad(l, self.params, create_graph=True)
            hv = torch.autograd.grad(g, self.params, grad_outputs=vs)
            acc += torch.cat([h.reshape(-1) for h in hv]).double()
        return acc


def setup(a):
    x, y = load_data(a.data, a.split, a.limit)
    net = load_net(a, x)
    if a.double:
        net, x = net.double(), x.double()
    return Hessian(net, x, y), x


def hvp(a):
    h, x = setup(a)
    vecs = st_read(a.vectors)
    res = []
    i = 0
    while any(k.startswith(f"v{i}.") for k in vecs):
        flat = np.concatenate([vecs[f"v{i}.{n}"].reshape(-1) for n in h.names])
        res.append(h.hvp(torch.from_numpy(flat).to(x.dtype)).tolist())
        i += 1
    json.dump({"names": h.names, "loss": h.loss(), "hv": res}, open(a.out, "w"))


def eig(a):
    from scipy.sparse.linalg import LinearOperator, eigsh
    a.double = True
    h, _ = setup(a)
    op = LinearOperator((h.dim, h.dim), matvec=lambda v: h.hvp(torch.from_numpy(np.ascontiguousarray(v).reshape(-1))).numpy(),
                        dtype=np.float64)
    top = eigsh(op, k=a.k, which="LA", tol=1e-10, return_eigenvectors=False)
    low = eigsh(op, k=1, which="SA", tol=1e-10, return_eigenvectors=False)
    json.dump({"top": sorted(top.tolist(), reverse=True), "min": float(low[0]), "dim": h.dim}, open(a.out, "w"))


def bench(a):
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model.startswith("onnx:"):
        import onnx_nets
        F.hardsigmoid = hardsigmoid
        net = onnx_nets.build(a.model[5:], 3, 10)
    else:
        net = build(a.model, 3, 10, 32)
    net.eval()
    x, y = torch.randn(a.images, 3, 32, 32), torch.randint(0, 10, (a.images,))
    h = Hessian(net, x, y, a.batch)
    v = torch.randn(h.dim)
    h.hvp(v)  # warm-up
    t = time.perf_counter()
    for _ in range(a.reps):
        h.hvp(v)
    dt = time.perf_counter() - t
    print(json.dumps({"engine": "torch", "model": a.model, "images": a.images, "threads": torch.get_num_threads(),
                      "hvp_per_s": a.reps / dt, "img_hvp_per_s": a.reps * a.images / dt}))


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
for name, fn in (("hvp", hvp), ("eig", eig)):
    s = sub.add_parser(name)
    s.set_defaults(fn=fn)
    s.add_argument("--model", required=True)
    s.add_argument("--weights", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--split", default="train")
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--double", action="store_true")
    s.add_argument("--classes", type=int, default=10, help="outputs of an onnx:NAME model")
    if name == "hvp":
        s.add_argument("--vectors", required=True)
    else:
        s.add_argument("--k", type=int, default=2)
b = sub.add_parser("bench")
b.set_defaults(fn=bench)
b.add_argument("--model", required=True)
b.add_argument("--images", type=int, default=256)
b.add_argument("--batch", type=int, default=128)
b.add_argument("--reps", type=int, default=3)
b.add_argument("--threads", type=int, default=0)
a = p.parse_args()
torch.set_grad_enabled(True)
a.fn(a)
