#!/usr/bin/env python3
"""Exports a PyTorch network to the ONNX file that `landscape scan --model NET.onnx` reads.

  torch2onnx.py MODULE.pt OUT.onnx --input-shape 3,32,32
  torch2onnx.py CHECKPOINT.pt OUT.onnx --input-shape 3,32,32 --arch mynets.py:ResNet18 [--arch-args '{"classes": 100}']

MODULE.pt is a whole nn.Module saved with torch.save(net, ...). CHECKPOINT.pt is a state_dict,
or a dict holding one under "state_dict" (the paper's model_*.t7), loaded into the class --arch
names (a Python file and a class or function in it, called with --arch-args as keyword
arguments); nn.DataParallel's "module." prefix is removed.

The export keeps batch norm as its own operator and the state_dict names, so that directions,
--norm, --ignore and --dir-type act on the same entries as for a state_dict:

  torch.onnx.export(net.eval(), example, OUT, training=torch.onnx.TrainingMode.PRESERVE,
                    do_constant_folding=False, opset_version=13)

(the batch dimension is left free). With the default TrainingMode.EVAL, PyTorch folds every
conv→BN pair into a convolution whose weight is renamed onnx::Conv_NN; landscape then warns.
With --weights W.safetensors the state_dict is also written, for `scan --weights`.
"""
import argparse
import importlib.util
import json

import numpy as np
import torch

from safetensors_np import st_write
from torch2safetensors import state_dict


def export(net, path, shape, opset=13):
    """Writes net (put in evaluation mode) to path as ONNX, for inputs of shape [N, *shape]."""
    net.eval()
    example = torch.zeros(1, *shape)
    torch.onnx.export(net, example, path, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      opset_version=opset, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def save_weights(net, path):
    """Writes net's state_dict as safetensors (float32; num_batches_tracked int64)."""
    out = {}
    for k, v in net.state_dict().items():
        a = v.detach().cpu().numpy()
        out[k] = a.astype(np.int64) if k.endswith("num_batches_tracked") else a.astype(np.float32)
    st_write(path, out)


def load_arch(spec, kwargs):
    file, _, name = spec.rpartition(":")
    if not file or not name:
        raise SystemExit(f"--arch {spec!r}: want FILE.py:ClassName")
    mod_spec = importlib.util.spec_from_file_location("arch", file)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return getattr(mod, name)(**kwargs)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--input-shape", required=True, help="C,H,W of one image, e.g. 3,32,32")
    p.add_argument("--arch", help="FILE.py:Class building the network a state_dict checkpoint belongs to")
    p.add_argument("--arch-args", default="{}", help="keyword arguments for --arch, as JSON")
    p.add_argument("--opset", type=int, default=13, help="ONNX opset, 11 to 17 (default 13)")
    p.add_argument("--weights", help="also write the state_dict here as safetensors")
    a = p.parse_args()
    shape = [int(v) for v in a.input_shape.split(",")]
    if len(shape) != 3:
        raise SystemExit(f"--input-shape {a.input_shape!r}: want C,H,W")
    try:
        obj = torch.load(a.src, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        obj = torch.load(a.src, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        net = obj
    else:
        if not a.arch:
            raise SystemExit(f"{a.src} holds a state_dict, not a module: give --arch FILE.py:Class")
        net = load_arch(a.arch, json.loads(a.arch_args))
        sd = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state_dict(obj).items()}
        net.load_state_dict(sd)
    export(net, a.out, shape, a.opset)
    if a.weights:
        save_weights(net, a.weights)
    print(f"{a.out}: ONNX opset {a.opset}, input [N, {', '.join(map(str, shape))}]")


if __name__ == "__main__":
    main()
