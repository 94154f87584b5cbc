#!/usr/bin/env python3
"""Where bfloat16 rounding costs accuracy: the zoo resnet56 at one point of a direction, its loss
in float32, under torch.autocast("cpu", bfloat16), and with the roundings emulated in float32
arithmetic (x.bfloat16().float()) at chosen places: landscape's scheme (batch norm folded into the
convolution, folded weights and convolution inputs rounded), unfolded weights and inputs, and
with convolution and batch-norm outputs rounded too, as autocast does. A diagnostic for issue 20
item 2 (bench/RESULTS.md "bf16 error over several directions"), not a test.

  bf16_rounding_variants.py WEIGHTS.safetensors DIRS.safetensors ALPHA[,ALPHA...]

DIRS as `landscape scan --save-dirs` writes them; 2000 Fashion-MNIST test images.
"""
import os, sys, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchio import build, load_data, st_read, load_state
torch.set_num_threads(2)
x, y = load_data("fashion-mnist:/usr/share/datasets/fashion-mnist", "test", 2000)
w, d = st_read(sys.argv[1]), st_read(sys.argv[2])
net = build("resnet56", 1, 10, 28).eval()
base = {k: torch.from_numpy(v) for k, v in w.items()}


def move(alpha):
    sd = {}
    for k, v in base.items():
        sd[k] = v + torch.from_numpy(d["x." + k]).type(v.dtype) * alpha if "x." + k in d else v
    load_state(net, sd)

bf = lambda t: t.bfloat16().float()

def loss(model):
    with torch.no_grad():
        tot = 0.0
        for i in range(0, len(y), 250):
            tot += F.cross_entropy(model(x[i:i+250]), y[i:i+250], reduction="sum").item()
    return tot / len(y)

import copy
def variant(fold, round_in=True, round_out=False, bn_bf16=False):
    m = copy.deepcopy(net)
    mods = dict(m.named_modules())
    names = list(mods)
    for i, n in enumerate(names):
        mod = mods[n]
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            bn = None
            if fold and isinstance(mod, nn.Conv2d):
                # the BatchNorm2d following this conv in module order
                for n2 in names[i+1:]:
                    if isinstance(mods[n2], nn.BatchNorm2d):
                        bn = mods[n2]; break
                    if isinstance(mods[n2], (nn.Conv2d, nn.Linear)):
                        break
            with torch.no_grad():
                if bn is not None:
                    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                    mod.weight.copy_(bf(mod.weight * s.view(-1, 1, 1, 1)))
                    b0 = mod.bias if mod.bias is not None else torch.zeros_like(s)
                    mod.bias = nn.Parameter(bn.bias - bn.running_mean * s + b0 * s)
                    bn.weight.fill_(1); bn.bias.zero_(); bn.running_mean.zero_(); bn.running_var.fill_(1 - bn.eps)
                else:
                    mod.weight.copy_(bf(mod.weight))
            if round_in:
                mod.register_forward_pre_hook(lambda mm, inp: (bf(inp[0]),))
            if round_out:
                mod.register_forward_hook(lambda mm, inp, out: bf(out))
        if bn_bf16 and isinstance(mod, nn.BatchNorm2d):
            mod.register_forward_hook(lambda mm, inp, out: bf(out))
    return loss(m)

for alpha in (float(a) for a in sys.argv[3].split(",")):
    move(alpha)
    f32 = loss(net)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ac = loss(net)
    res = {"fp32": f32, "autocast": ac,
           "ours (fold, round folded w + inputs)": variant(True),
           "ours + folded conv outputs": variant(True, round_out=True),
           "unfolded w rounded + inputs": variant(False),
           "unfolded + inputs + conv outputs": variant(False, round_out=True),
           "unfolded + in + out + bn out": variant(False, round_out=True, bn_bf16=True)}
    for k, v in res.items():
        print(f"alpha {alpha:+.2f} {k:40s} loss {v:.6f} rel err {abs(v - f32) / f32:.2e}", flush=True)
