"""IDX files (MNIST, Fashion-MNIST; gzipped or not) read with numpy alone (no torch)."""
import gzip
import os
import struct

import numpy as np


def idx(path):
    """The array of an IDX file: images as N×1×rows×cols uint8 (magic 0x803), labels as N uint8."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        r, c = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw[16:], np.uint8).reshape(n, 1, r, c)
    return np.frombuffer(raw[8:], np.uint8)


def find(d, base):
    """The path of base or base.gz in directory d."""
    for s in ("", ".gz"):
        if os.path.exists(os.path.join(d, base + s)):
            return os.path.join(d, base + s)
    raise FileNotFoundError(base)
