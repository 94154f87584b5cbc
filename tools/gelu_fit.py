#!/usr/bin/env python3
"""Fit cpu/gelu.go's polynomial P: ½·erfcx(x/√2) ≈ t·P(t), t = 1/(1 + a·x), a = float32(0.3),
on 0 ≤ x ≤ 14.6, minimising the relative error (least squares on Chebyshev nodes in t,
reweighted by Lawson's iteration towards minimax). Prints P's coefficients, highest degree
first, as float32 bit patterns (geluP) and the fit's float64 relative error.

Usage: python3 tools/gelu_fit.py   (numpy, scipy)"""
import struct

import numpy as np
from scipy.special import erfcx

X, DEG = 14.6, 9
A = float(np.float32(0.3))


def target(x):
    return 0.5 * erfcx(x / np.sqrt(2))


def fit():
    n = 4000
    t0 = 1 / (1 + A * X)
    t = t0 + (1 - t0) * (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n))
    x = (1 / t - 1) / A
    g = target(x) / t
    v = np.vander(t, DEG + 1)
    w = np.ones(n)
    for _ in range(60):
        s = np.sqrt(w) / g
        c, *_ = np.linalg.lstsq(v * s[:, None], g * s, rcond=None)
        e = np.abs(v @ c - g) / g
        w = w * e
        w /= w.sum()
    return c


def main():
    c = fit().astype(np.float32)
    xs = np.linspace(0, X, 200001)
    ts = 1 / (1 + A * xs)
    err = np.max(np.abs(ts * np.polyval(c.astype(np.float64), ts) - target(xs)) / target(xs))
    print("geluP:", ", ".join("0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in c))
    print("max relative error (float32 coefficients, float64 evaluation): %.2g" % err)


if __name__ == "__main__":
    main()
