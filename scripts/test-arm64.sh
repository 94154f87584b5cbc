#!/usr/bin/env bash
# The arm64 build under qemu-aarch64-static (Debian's qemu-user-static, see scripts/deps.sh):
# `make test-arm64`, and a step of .ci/run. Emulation is 20–50 times slower than native code;
# what runs: every test of cpu/... (-short, as make test's: the NEON kernels in float32, and
# bfloat16 on BFDOT under QEMU_CPU=max), the FEAT_BF16 detection on CPUs with and without it,
# the portable build's Winograd kernel for 32-register cores (-tags noasm), the model package,
# and a resnet8 scan run as an arm64 binary and compared with this machine's
# (cmd/landscape TestArm64ScanMatchesHost).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
if ! command -v qemu-aarch64-static >/dev/null; then
  echo "test-arm64: qemu-aarch64-static is missing: install qemu-user-static (scripts/deps.sh)" >&2
  exit 1
fi
# qemu's "max" CPU has FEAT_BF16: the bfloat16 products run on the BFDOT kernel (neon-bf16).
export QEMU_CPU=${QEMU_CPU:-max}
arm() { GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $GO test -exec qemu-aarch64-static -short -p 1 -timeout 20m "$@"; }
# Every test of the CPU engine and its GEMM (-short, as make test's): on the NEON kernels, and
# with QEMU_CPU=max on BFDOT for bfloat16 (about 6–11 minutes under emulation).
arm ./cpu/...
LANDSCAPE_ARM64_BF16=1 arm -run TestHasBF16 ./cpu/gemm
QEMU_CPU=cortex-a72 LANDSCAPE_ARM64_BF16=0 arm -run TestHasBF16 ./cpu/gemm
arm ./model/...
# The portable build's Winograd path (its 4×4 product kernel is the one other architectures get).
arm -tags noasm -run 'TestWinograd(Accuracy|AgainstDirect)/resnet8' ./cpu
LANDSCAPE_TEST_ARM64=1 $GO test -count=1 -run TestArm64ScanMatchesHost ./cmd/landscape
