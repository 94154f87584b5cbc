#!/usr/bin/env bash
# Installs what the tests and the demo use when it is missing and this machine can install it
# (Debian, root): PyTorch and numpy for the system python3 (the PyTorch agreement tests and the
# peer benchmark) and Fashion-MNIST. With --cuda, also the CUDA toolkit from Debian's non-free
# component (nvcc, ptxas, cuda.h) for `make gpu` and `make kernels`. With --data, only the
# dataset (what `make demo` needs: PyTorch alone would take minutes to install). Chromium (the
# browser tests of `landscape view`) comes with every mode but --data; --browser installs only it.
set -euo pipefail
pkgs=()
[ "${1:-}" = "--data" ] || /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || pkgs+=(python3-torch python3-numpy)
[ "${1:-}" = "--data" ] || /usr/bin/python3 -c 'import scipy' 2>/dev/null || pkgs+=(python3-scipy) # hessian eigsh reference
# torchvision's classifiers exported with onnx are the real networks of the ONNX import tests.
[ "${1:-}" = "--data" ] || /usr/bin/python3 -c 'import torchvision, onnx' 2>/dev/null || pkgs+=(python3-torchvision python3-onnx)
# PIL checks the imagefolder reader, h5py the converters of the paper's h5 files (tools/paper_h5.py).
[ "${1:-}" = "--data" ] || /usr/bin/python3 -c 'import PIL, h5py' 2>/dev/null || pkgs+=(python3-pil python3-h5py)
# scikit-image's sample photographs are the real images of the Resize/CenterCrop test (data/resize_test.go).
[ "${1:-}" = "--data" ] || [ -f /usr/lib/python3/dist-packages/skimage/data/chelsea.png ] || pkgs+=(python3-skimage)
[ -d /usr/share/datasets/fashion-mnist ] || pkgs+=(dataset-fashion-mnist)
# objdump checks the byte-encoded AMX instructions of cpu/gemm (TestAMXEncoding).
[ "${1:-}" = "--data" ] || command -v objdump >/dev/null || pkgs+=(binutils)
# aarch64-linux-gnu-objdump checks the byte-encoded BFDOTs of the arm64 bf16 kernel (TestBF16NEONEncoding).
[ "${1:-}" = "--data" ] || command -v aarch64-linux-gnu-objdump >/dev/null || pkgs+=(binutils-aarch64-linux-gnu)
# Slurm and munge for the one-node Slurm test (scripts/slurm-local.sh, cluster/slurm_local_test.go).
slurm_ok() { for b in slurmctld slurmd munged sbatch; do PATH=$PATH:/usr/sbin:/sbin command -v $b >/dev/null || return 1; done; }
[ "${1:-}" = "--data" ] || slurm_ok || pkgs+=(slurm-wlm munge)
[ "${1:-}" = "--data" ] || command -v chromium >/dev/null || pkgs+=(chromium)
# qemu-aarch64-static runs the arm64 build (NEON kernels) here: make test-arm64, scripts/test-arm64.sh.
[ "${1:-}" = "--data" ] || command -v qemu-aarch64-static >/dev/null || pkgs+=(qemu-user-static)
[ "${1:-}" = "--browser" ] && { pkgs=(); command -v chromium >/dev/null || pkgs+=(chromium); }
if [ "${1:-}" = "--cuda" ] && ! command -v nvcc >/dev/null; then
  pkgs+=(nvidia-cuda-toolkit)
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "deps: missing ${pkgs[*]} and cannot install them here (need root and apt-get); the tests that need them will skip" >&2
  exit 0
fi
src=/etc/apt/sources.list.d/debian.sources
if [[ " ${pkgs[*]} " == *" nvidia-cuda-toolkit "* ]] && [ -f $src ] && ! grep -q '^Components:.*non-free' $src; then
  sed -i 's/^Components: main.*/Components: main contrib non-free non-free-firmware/' $src
fi
echo "deps: installing ${pkgs[*]}" >&2
apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q "${pkgs[@]}" >/dev/null
