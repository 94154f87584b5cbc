"""safetensors files read and written with numpy alone (no torch, no safetensors package):
an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, the
data."""
import json
import struct

import numpy as np

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
