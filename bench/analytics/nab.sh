#!/usr/bin/env bash
# Runs the NAB benchmark: scorer validation against NAB's published figures, then our detector
# beside a rolling z-score and a random detector (docs/benchmarks.md, "Anomaly detection on NAB").
# Usage: bench/analytics/nab.sh [BUILD_DIR] [NAB_DIR] [bench_nab options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-rel}
nab=${2:-$root/../shared/datasets/nab}
shift $(( $# > 2 ? 2 : $# ))
if [ ! -f "$nab/labels/combined_windows.json" ]; then
  echo "nab.sh: NAB dataset not found at $nab" >&2; exit 1
fi
if [ ! -x "$build/bin/bench_nab" ]; then
  cmake --build "$build" -j2 --target bench_nab
fi
exec "$build/bin/bench_nab" "$nab" --validate "$@"
