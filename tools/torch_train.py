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

The zoo networks come from tools/nets.py (written independently of the Go code); the
small ones (resnetD-cC[-noshort], vgg5-cC) are built here from nets.py's pieces.
"""
import argparse, json
import numpy as np
import torch
import torch.nn.functional as F

from torchio import build, load_data, names, st_read, st_write


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
