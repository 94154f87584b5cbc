#!/usr/bin/env bash
# Runs every native Go fuzz target (func FuzzXxx in a *_test.go) for FUZZTIME each, one at a
# time (`go test -fuzz` takes one target per package per run), and prints a markdown table of
# executions per target. A crasher is written by go test to the package's
# testdata/fuzz/FuzzXxx/ (commit it as a regression case once fixed); the script goes on with
# the other targets and exits 1 at the end if any target failed.
#   scripts/fuzz.sh [PATTERN]      only targets whose name matches PATTERN (grep -E)
# Environment: FUZZTIME (default 30s), FUZZPARALLEL (workers per target; default: go test's,
# GOMAXPROCS), FUZZMINIMIZE (-fuzzminimizetime, default 0: a new input is not minimised, which
# otherwise stalls a short run for up to a minute), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-30s}
pattern=${1:-.}
par=()
[ -n "${FUZZPARALLEL:-}" ] && par=(-parallel "$FUZZPARALLEL")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# packages with fuzz targets, found without compiling the others
mapfile -t pkgs < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z]' . | xargs -n1 dirname | sort -u)
echo "| package | target | executions | result |"
echo "|---|---|---:|---|"
failed=0
start=$SECONDS
for pkg in "${pkgs[@]}"; do
  mapfile -t targets < <($go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' | grep -E "$pattern" || true)
  for t in "${targets[@]}"; do
    result=ok
    corpus="$pkg/testdata/fuzz/$t"
    before=$(ls "$corpus" 2>/dev/null | wc -l)
    if ! $go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime "${FUZZMINIMIZE:-0}" "${par[@]}" >"$log" 2>&1; then
      if [ "$(ls "$corpus" 2>/dev/null | wc -l)" = "$before" ] && grep -q 'context deadline exceeded' "$log"; then
        # Go's fuzz coordinator can fail a run as -fuzztime ends, with no crasher written:
        # go.dev/issue/75804, fixed in Go 1.27, not in 1.26
        result="ok (go.dev/issue/75804 at the deadline, no crasher)"
      else
        result="FAILED (crasher in ${corpus#./}/)"
        failed=1
        sed 's/^/    /' "$log" | tail -40 >&2
      fi
    fi
    execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    echo "| ${pkg#./} | $t | $execs | $result |"
  done
done
echo
echo "$fuzztime per target; $((SECONDS - start)) s in all; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
