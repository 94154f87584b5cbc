#!/usr/bin/env bash
# Builds landscape (pure Go, CGO_ENABLED=0) for every release platform into bin/release, with
# SHA256SUMS beside them: `make release`. The commit is stamped into the binaries (see
# internal/buildinfo), "-dirty" when the working tree has uncommitted changes.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=bin/release
platforms=(linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64)
rev=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || rev+=-dirty
rm -rf "$out"
mkdir -p "$out"
for p in "${platforms[@]}"; do
  os=${p%/*} arch=${p#*/}
  exe=landscape-$os-$arch
  [ "$os" = windows ] && exe+=.exe
  echo "release: $exe" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch $GO build -trimpath \
    -ldflags "-s -w -X landscape/internal/buildinfo.revision=$rev" -o "$out/$exe" ./cmd/landscape
done
(cd "$out" && sha256sum landscape-* > SHA256SUMS)
cat "$out/SHA256SUMS"
