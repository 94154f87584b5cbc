#!/usr/bin/env python3
"""Writes Fashion-MNIST (or MNIST) in the binary CIFAR-10 format, so that 3-channel networks
(torchvision's classifiers) can be trained and scanned on it with `--data cifar10:OUT` (landscape)
and torchio.load_data("cifar10:OUT", ...) (the PyTorch tools), both normalising it alike.

  fmnist_as_cifar.py IDX_DIR OUT_DIR

Each 28×28 gray image is zero-padded by 2 pixels on every side to 32×32 (no resampling, so the
pixels are exactly the IDX file's) and replicated to the 3 channels; a record is the label byte
then the 3×32×32 bytes channel by channel (R plane, G plane, B plane), as CIFAR-10's. The 60,000
training images go in order to data_batch_1.bin … data_batch_5.bin (12,000 each), the 10,000 test
images to test_batch.bin. Normalisation is then CIFAR-10's per-channel mean and standard deviation
(not Fashion-MNIST's): harmless for training from scratch, and identical on both sides.
Needs only numpy.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx_np import find, idx  # noqa: E402


def records(images, labels):
    """CIFAR-10 records (N × 3073 bytes) of N×1×28×28 gray images and their labels."""
    n = len(labels)
    if images.shape != (n, 1, 28, 28):
        raise SystemExit(f"images of shape {images.shape}, want ({n}, 1, 28, 28)")
    if labels.max() >= 10:
        raise SystemExit(f"label {labels.max()} out of range, want 0..9")
    pad = np.zeros((n, 3, 32, 32), np.uint8)
    pad[:, :, 2:30, 2:30] = images  # broadcast over the 3 channels
    return np.concatenate([labels.reshape(n, 1).astype(np.uint8), pad.reshape(n, 3072)], axis=1)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    for pre, names in (("train", [f"data_batch_{i}.bin" for i in range(1, 6)]), ("t10k", ["test_batch.bin"])):
        recs = records(idx(find(src, pre + "-images-idx3-ubyte")), idx(find(src, pre + "-labels-idx1-ubyte")))
        if len(recs) % len(names):
            raise SystemExit(f"{pre}: {len(recs)} images do not split into {len(names)} equal files")
        for name, part in zip(names, np.split(recs, len(names))):
            part.tofile(os.path.join(out, name))
        print(f"{out}: {', '.join(names)} ({len(recs)} images)")


if __name__ == "__main__":
    main()
