#!/usr/bin/env bash
# Vendors plotly.js (the plotly.js-dist-min npm package, MIT) into view/assets/ for `landscape
# view`, which embeds it with go:embed so that its pages open offline. Run it only to change the
# version: the result is committed. Needs npm and the npm registry.
#   scripts/vendor-plotly.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-4.1.2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "plotly.js-dist-min@$VERSION" >/dev/null)
tar -xzf "$tmp"/plotly.js-dist-min-"$VERSION".tgz -C "$tmp"
cp "$tmp/package/plotly.min.js" view/assets/plotly.min.js
cp "$tmp/package/LICENSE" view/assets/plotly.LICENSE
echo "$VERSION" >view/assets/plotly.VERSION
ls -l view/assets/plotly.min.js view/assets/plotly.LICENSE
