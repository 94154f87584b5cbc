#!/bin/sh
# device-check-prepare.sh: fills device-check/ (gitignored) with what a GPU machine without Go
# needs to check the GPU engine: the cuda test binary of gpu/, the landscape and landscape-gpu
# binaries, the peer PyTorch scripts and run.sh. Called by `make -f gpu.mk device-check`, which
# builds bin/landscape-gpu first. Then, on the GPU machine: cd device-check && ./run.sh
set -eu
cd "$(dirname "$0")/.."
out=device-check
rm -rf "$out"
mkdir -p "$out"
# Symbol tables and DWARF stripped (-s -w; panics still name their functions): the folder
# travels to the device within the run tool's 64 MiB carry limit.
CGO_ENABLED=1 ${GO:-go} test -c -tags cuda -ldflags='-s -w' -o "$out/gpu.test" ./gpu
cp bin/landscape-gpu "$out/landscape-gpu"
# landscape itself needs no cgo: built static, it runs whatever the device's glibc.
if CGO_ENABLED=0 ${GO:-go} build -ldflags='-s -w' -o "$out/landscape" ./cmd/landscape 2>"$out/landscape-build.log"; then
	rm "$out/landscape-build.log"
else
	echo "device-check: bin/landscape does not build (see $out/landscape-build.log); run.sh skips its bench" >&2
fi
if [ -d ../shared/peer ]; then
	cp -r ../shared/peer "$out/peer"
else
	echo "device-check: ../shared/peer missing; run.sh skips the PyTorch baseline" >&2
fi
# gpu.test and landscape-gpu link libcuda.so.1 (the device's driver) through cgo, so they are
# dynamic executables needing the glibc symbol versions of this build machine: record the newest
# one, which run.sh compares with the device's glibc before anything else.
need=$(for b in "$out/gpu.test" "$out/landscape-gpu"; do objdump -T "$b" 2>/dev/null | grep -o 'GLIBC_[0-9.]*'; done | sort -u -V | tail -1)
echo "${need:-unknown}" >"$out/GLIBC_NEEDED"
echo "device-check: gpu.test and landscape-gpu need ${need:-an unknown glibc} or newer (ldd --version on the device)" >&2
# The Python tools that export torchvision's vit_b_16 on the device (run.sh's vit steps).
mkdir -p "$out/tools"
cp tools/*.py "$out/tools/"
cp scripts/device-check-run.sh "$out/run.sh"
chmod +x "$out/run.sh"
du -sh "$out"
size=$(du -sb "$out" | cut -f1)
if [ "$size" -gt $((60 * 1024 * 1024)) ]; then
	echo "device-check: $out is $size bytes; the device tool carries at most 64 MiB in all" >&2
	exit 1
fi
