#!/usr/bin/env python3
"""Converts a PyTorch checkpoint into the safetensors state_dict that `landscape scan` reads.

  torch2safetensors.py CHECKPOINT.pt OUT.safetensors

CHECKPOINT may be a state_dict saved with torch.save, a dict holding one under "state_dict"
(as the paper's training code saves its model_*.t7 files), or a whole saved nn.Module. A
"module." prefix left by nn.DataParallel is removed. Tensors are written as float32
(num_batches_tracked as int64). Needs only torch and numpy (Debian: python3-torch).
"""
import sys

import numpy as np
import torch

from safetensors_np import st_write


def state_dict(obj):
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj:
        return obj["state_dict"]
    if isinstance(obj, dict):
        return obj
    raise SystemExit(f"torch2safetensors: {type(obj).__name__} is not a state_dict, a checkpoint dict or a module")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, dst = sys.argv[1:]
    try:
        obj = torch.load(src, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        obj = torch.load(src, map_location="cpu")
    out = {}
    for k, v in state_dict(obj).items():
        if not torch.is_tensor(v):
            continue
        k = k[len("module."):] if k.startswith("module.") else k
        a = v.detach().cpu().numpy()
        out[k] = a.astype(np.int64) if k.endswith("num_batches_tracked") else a.astype(np.float32)
    st_write(dst, out)
    print(f"{dst}: {len(out)} tensors")


if __name__ == "__main__":
    main()
