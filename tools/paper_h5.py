#!/usr/bin/env python3
"""Converts the h5 files of the paper's code (github.com/tomgoldstein/loss-landscape) to landscape's.

  paper_h5.py dirs DIR_FILE.h5 --names WEIGHTS OUT.safetensors [--model NAME]
  paper_h5.py surface SURF_FILE.h5 OUT.npz [--split train|test] [--model NAME]

dirs: the paper's direction file holds groups 'xdirection' (and 'ydirection') of nameless
datasets '0', '1', … (h5_util.write_list): one per network parameter in net.parameters() order
(dir_type weights), or one per state_dict entry, num_batches_tracked included when the torch of
the day had it (dir_type states). The names come from --names: the weights the file was made
for, as a safetensors state_dict written by tools/torch2safetensors.py or `landscape train`
(state_dict order), or the paper's own checkpoint (model_300.t7; needs torch). The order is
matched by count and shape; the output holds x.<name>, y.<name> (float32; num_batches_tracked
left out) with metadata: dir_type, and the norm and ignore read from the paper's file name
(name_direction_file writes _xignore=biasbn_xnorm=filter…; none without them, the paper's
defaults), model, source. The paper's code stores its directions final (normalised, or W2 − W)
and never normalises a loaded file again; a file recording its normalisation is used by
`landscape scan --dirs` as it is, the same way.

surface: the paper's surface file holds xcoordinates, ycoordinates and <split>_loss,
<split>_acc, created as -np.ones((nx, ny)) and filled through .ravel()[k] with k enumerating
np.meshgrid(x, y), so that the flat data is Z[j, i] at (x_i, y_j) whatever the stored shape;
-1 (any value ≤ 0 of the loss, the paper's scheduler's test) marks a point not computed. The
output is landscape's surface file, format 2: xcoordinates (nx,), ycoordinates (ny,),
<split>_loss and <split>_acc (ny, nx) (1D: (nx,)) with NaN where not computed, computed (uint8)
and settings (JSON: format 2, engine "paper-h5", so that landscape plots it but never resumes
it with its own points). The other split's arrays, when present, are converted alongside.

Needs numpy and h5py (Debian: python3-numpy python3-h5py). Never overwrites OUT.
"""
import argparse
import json
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import st_write  # noqa: E402

BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def fail(msg):
    raise SystemExit("paper_h5: " + msg)


def h5open(path):
    try:
        import h5py
    except ImportError:
        fail("needs h5py (Debian: apt-get install python3-h5py; pip: h5py)")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        fail(f"{path}: not a readable HDF5 file: {e}")


def safetensors_entries(path):
    """(name, shape) in the order of the tensors' data, which st_write and landscape keep in
    state_dict order."""
    import struct
    raw = open(path, "rb").read()
    if len(raw) < 8:
        fail(f"--names {path}: not a safetensors file")
    n = struct.unpack("<Q", raw[:8])[0]
    try:
        hdr = json.loads(raw[8:8 + n])
    except ValueError as e:
        fail(f"--names {path}: not a safetensors file: {e}")
    items = [(v["data_offsets"][0], k, tuple(v["shape"])) for k, v in hdr.items() if k != "__metadata__"]
    items.sort()
    names = [k for _, k, _ in items]
    if len(names) > 2 and names == sorted(names):
        fail(f"--names {path}: its tensors are in alphabetical order (as safetensors.torch.save_file writes "
             "them), not necessarily the network's: convert the checkpoint with tools/torch2safetensors.py, "
             "or give the checkpoint itself")
    return [(k, s) for _, k, s in items]


def checkpoint_entries(path):
    try:
        import torch
    except ImportError:
        fail(f"--names {path}: reading a PyTorch checkpoint needs torch; or give the safetensors "
             "that tools/torch2safetensors.py writes from it")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:
        obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    elif isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    out = []
    for k, v in obj.items():
        if torch.is_tensor(v):
            out.append((k[len("module."):] if k.startswith("module.") else k, tuple(v.shape)))
    return out


def read_list(f, path, group):
    """The datasets '0', '1', … of a group, as h5_util.read_list reads them."""
    if group not in f:
        fail(f"{path}: no group {group!r} (the file has: {', '.join(f.keys())}): not a direction file of the paper's code")
    g = f[group]
    keys = set(g.keys())
    want = {str(i) for i in range(len(keys))}
    if keys != want:
        fail(f"{path}: group {group!r} holds {sorted(keys)[:5]}…, want datasets named 0..{len(keys) - 1} (h5_util.write_list)")
    return [np.asarray(g[str(i)][()]) for i in range(len(keys))]


def match(path, group, arrays, entries):
    """Pairs the positional arrays with names: the parameters (dir_type weights), the state_dict
    (states), or the state_dict without num_batches_tracked (states, older torch)."""
    cands = [
        ("weights", [e for e in entries if not e[0].endswith(BUFFERS)]),
        ("states", entries),
        ("states", [e for e in entries if not e[0].endswith("num_batches_tracked")]),
    ]
    why = []
    for dir_type, ents in cands:
        if len(ents) != len(arrays):
            why.append(f"{len(ents)} {dir_type} entries")
            continue
        bad = [(i, n, s, a.shape) for i, ((n, s), a) in enumerate(zip(ents, arrays)) if tuple(a.shape) != tuple(s)]
        if not bad:
            return dir_type, ents
        i, n, s, got = bad[0]
        why.append(f"as {dir_type}: dataset {group}/{i} has shape {got}, {n} has {s}")
    fail(f"{path}: {group} holds {len(arrays)} arrays, which match none of the network's entry lists "
         f"({'; '.join(why)}): was it made for these weights?")


def name_settings(path):
    """dir_type, norm and ignore as name_direction_file writes them into the file name."""
    base = os.path.basename(path)
    out = {}
    m = re.search(r"_(weights|states)(?:_|\.h5)", base)
    if m:
        out["dir_type"] = m.group(1)
    for axis in "xy":
        for key in ("norm", "ignore"):
            m = re.search(rf"_{axis}{key}=([a-z]+)", base)
            if m:
                out[f"{axis}{key}"] = m.group(1)
    return out


def write_new(out, write):
    """Writes through a temporary file in OUT's folder and renames it, never over a file."""
    if os.path.exists(out):
        fail(f"{out} exists: choose another output (it is never overwritten)")
    d = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(dir=d, suffix=os.path.splitext(out)[1])
    os.close(fd)
    try:
        write(tmp)
        os.link(tmp, out)  # fails if OUT appeared meanwhile
    finally:
        os.remove(tmp)


def convert_dirs(a):
    entries = checkpoint_entries(a.names) if not a.names.endswith(".safetensors") else safetensors_entries(a.names)
    f = h5open(a.src)
    groups = ["xdirection"] + (["ydirection"] if "ydirection" in f else [])
    tensors, dir_type = {}, None
    for g in groups:
        arrays = read_list(f, a.src, g)
        dt, ents = match(a.src, g, arrays, entries)
        if dir_type and dt != dir_type:
            fail(f"{a.src}: xdirection matches dir_type {dir_type} but ydirection {dt}")
        dir_type = dt
        for (name, _), arr in zip(ents, arrays):
            if name.endswith("num_batches_tracked"):
                continue
            tensors[g[0] + "." + name] = np.ascontiguousarray(arr, dtype=np.float32)
    f.close()
    ns = name_settings(a.src)
    if ns.get("dir_type", dir_type) != dir_type:
        fail(f"{a.src}: the file name says dir_type {ns['dir_type']}, its arrays match {dir_type}")
    meta = {"source": "paper h5: " + os.path.basename(a.src), "dir_type": dir_type,
            "model": a.model or ""}
    # The paper's defaults: no xnorm (not normalised), no xignore (1-dim entries kept).
    norm_of = {"": "none", "filter": "filter", "layer": "layer", "weight": "weight"}
    for axis in ["x"] + (["y"] if len(groups) == 2 else []):
        pre = "" if axis == "x" else "y_"
        meta[pre + "norm"] = norm_of.get(ns.get(axis + "norm", ""), ns.get(axis + "norm", ""))
        meta[pre + "ignore"] = ns.get(axis + "ignore", "none")
    if a.names.endswith(".safetensors"):
        import hashlib
        meta["weights_sha256"] = hashlib.sha256(open(a.names, "rb").read()).hexdigest()
    write_new(a.out, lambda p: st_write_meta(p, tensors, meta))
    print(f"{a.out}: {len(tensors)} tensors, dir_type {dir_type} ({len(groups)} direction{'s' * (len(groups) > 1)}); "
          f"scan with --dirs {a.out} --dir-type {dir_type}")


def st_write_meta(path, tensors, meta):
    """st_write, with a __metadata__ entry."""
    import struct
    st_write(path, tensors)
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    hdr["__metadata__"] = meta
    js = json.dumps(hdr).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + raw[8 + n:])


def axis_string(c):
    """MIN:MAX:NUM when c is np.linspace(MIN, MAX, NUM), else ''."""
    c = np.asarray(c, dtype=np.float64)
    if c.ndim != 1 or len(c) == 0:
        return ""
    lo, hi = float(c[0]), float(c[-1])
    if not np.array_equal(np.linspace(lo, hi, len(c)), c):
        return ""
    num = lambda v: str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)  # as Go's 'g' format
    return f"{num(lo)}:{num(hi)}:{len(c)}"


def convert_surface(a):
    f = h5open(a.src)
    if "xcoordinates" not in f:
        fail(f"{a.src}: no 'xcoordinates' (the file has: {', '.join(f.keys())}): not a surface file of the paper's code")
    x = np.asarray(f["xcoordinates"][()], dtype=np.float64).ravel()
    y = np.asarray(f["ycoordinates"][()], dtype=np.float64).ravel() if "ycoordinates" in f else None
    splits = [s for s in ("train", "test") if s + "_loss" in f]
    if not splits:
        fail(f"{a.src}: no train_loss or test_loss (the file has: {', '.join(f.keys())})")
    split = a.split or splits[0]
    if split not in splits:
        fail(f"{a.src}: --split {split}: the file has only {', '.join(s + '_loss' for s in splits)}")
    shape = (len(x),) if y is None else (len(y), len(x))
    arrays = {"xcoordinates": x}
    if y is not None:
        arrays["ycoordinates"] = y
    computed = None
    for s in [split] + [t for t in splits if t != split]:
        grids = {}
        for kind in ("loss", "acc"):
            key = f"{s}_{kind}"
            if key not in f:
                fail(f"{a.src}: {s}_loss without {key}")
            v = np.asarray(f[key][()], dtype=np.float64)
            if v.size != int(np.prod(shape)):
                fail(f"{a.src}: {key} has shape {v.shape}, want {len(x)}×{1 if y is None else len(y)} points "
                     "for its coordinates")
            grids[kind] = v.ravel().reshape(shape)  # flat order = np.meshgrid(x, y): Z[j, i]
        done = ~(grids["loss"] <= 0)  # the paper's scheduler recomputes values ≤ 0
        for kind, v in grids.items():
            arrays[f"{s}_{kind}"] = np.ascontiguousarray(np.where(done, v, np.nan))
        if s == split:
            computed = np.ascontiguousarray(done, dtype=np.uint8)
    dir_file = f["dir_file"][()] if "dir_file" in f else b""
    f.close()
    dir_file = dir_file.decode() if isinstance(dir_file, bytes) else str(dir_file)
    ns = name_settings(dir_file)
    st = {"format": 2, "numerics": 0, "engine": "paper-h5", "model": a.model or "", "split": split,
          "x": axis_string(x), "norm": ns.get("xnorm", ""), "ignore": ns.get("xignore", ""),
          "dir_type": ns.get("dir_type", ""), "dirs": dir_file, "source": "paper h5: " + os.path.basename(a.src)}
    if y is not None:
        st["y"] = axis_string(y)
    arrays["computed"] = computed
    arrays["settings"] = np.array(json.dumps(st))
    def save(path):
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    write_new(a.out, save)
    print(f"{a.out}: {split} surface, {int(computed.sum())} of {computed.size} points computed")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dirs", help="a direction file → safetensors x.<name>, y.<name>")
    d.add_argument("src")
    d.add_argument("--names", required=True, help="the weights (safetensors in state_dict order) or the paper's checkpoint")
    d.add_argument("out")
    d.add_argument("--model", default="", help="the zoo name, recorded in the metadata")
    s = sub.add_parser("surface", help="a surface file → landscape's .npz (format 2)")
    s.add_argument("src")
    s.add_argument("out")
    s.add_argument("--split", choices=["train", "test"], default=None)
    s.add_argument("--model", default="")
    a = p.parse_args()
    if not os.path.exists(a.src):
        fail(f"{a.src} does not exist")
    convert_dirs(a) if a.cmd == "dirs" else convert_surface(a)


if __name__ == "__main__":
    main()
