#!/usr/bin/env python3
"""Trains a torchvision classifier (onnx_nets.build("tv:NAME", 3, 10): weights=None, 10 classes)
on 32×32 3-channel CIFAR-format data, then writes its state_dict as safetensors (for
`landscape scan --weights`) and the network as ONNX with torch2onnx.py's conventions
(TrainingMode.PRESERVE, no constant folding, state_dict names kept; input [N, 3, 32, 32]).
The trained networks of the bf16 error measurement on torchvision networks (bench/RESULTS.md,
issue 20):

  train_tv.py --net resnet18 --data cifar10:DIR --out PREFIX [--limit 4000 --epochs 6 ...]

writes PREFIX.safetensors and PREFIX.onnx and prints the loss and accuracy per epoch, then the
evaluation-mode loss and accuracy on the training images and on the first 2000 test images.
DIR is Fashion-MNIST written by fmnist_as_cifar.py (or CIFAR-10 itself). SGD with momentum 0.9,
weight decay, cosine learning rate over the epochs, batch norm in training mode; the seed fixes
the initialisation and the batch order. Two threads (the machine is shared).
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_nets  # noqa: E402
from torch2onnx import export, save_weights  # noqa: E402
from torchio import load_data  # noqa: E402


def evaluate(net, x, y):
    """Mean cross-entropy and accuracy (%) of net in evaluation mode, batches of 128."""
    net.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(y), 128):
            out = net(x[i:i + 128])
            total += F.cross_entropy(out, y[i:i + 128]).item() * len(out)
            correct += out.argmax(1).eq(y[i:i + 128]).sum().item()
    return total / len(y), 100.0 * correct / len(y)


def train(net, x, y, a):
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs)
    g = torch.Generator().manual_seed(a.seed)
    for ep in range(a.epochs):
        net.train()
        perm = torch.randperm(len(y), generator=g)
        total, correct = 0.0, 0
        for i in range(0, len(y), a.batch_size):
            idx = perm[i:i + a.batch_size]
            if len(idx) < 2:  # batch norm needs two samples
                continue
            out = net(x[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += out.argmax(1).eq(y[idx]).sum().item()
        sched.step()
        print(f"epoch {ep + 1}: train loss {total / len(y):.4f}, accuracy {100.0 * correct / len(y):.1f} %", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", required=True, help="torchvision classifier, e.g. resnet18, mobilenet_v2")
    p.add_argument("--data", required=True, help="cifar10:DIR")
    p.add_argument("--out", required=True, help="output prefix: PREFIX.safetensors, PREFIX.onnx")
    p.add_argument("--limit", type=int, default=4000, help="training images (the first N)")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(a.seed)
    x, y = load_data(a.data, "train", a.limit)
    net = onnx_nets.build("tv:" + a.net, x.shape[1], 10)
    train(net, x, y, a)
    print("train (eval mode): loss %.4f, accuracy %.1f %%" % evaluate(net, x, y))
    tx, ty = load_data(a.data, "test", 2000)
    print("test, first 2000 (eval mode): loss %.4f, accuracy %.1f %%" % evaluate(net, tx, ty))
    save_weights(net, a.out + ".safetensors")
    export(net, a.out + ".onnx", list(x.shape[1:]))
    print(f"wrote {a.out}.safetensors, {a.out}.onnx")


if __name__ == "__main__":
    main()
