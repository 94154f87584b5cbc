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
CGO_ENABLED=1 ${GO:-go} test -c -tags cuda -o "$out/gpu.test" ./gpu
cp bin/landscape-gpu "$out/landscape-gpu"
if ${GO:-go} build -o bin/landscape ./cmd/landscape 2>"$out/landscape-build.log"; then
	cp bin/landscape "$out/landscape"
	rm "$out/landscape-build.log"
else
	echo "device-check: bin/landscape does not build (see $out/landscape-build.log); run.sh skips its bench" >&2
fi
if [ -d ../shared/peer ]; then
	cp -r ../shared/peer "$out/peer"
else
	echo "device-check: ../shared/peer missing; run.sh skips the PyTorch baseline" >&2
fi
cp scripts/device-check-run.sh "$out/run.sh"
chmod +x "$out/run.sh"
du -sh "$out"
