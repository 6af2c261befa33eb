#!/usr/bin/env bash
# Scenario faults through a real landscaped (its embedded Postgres, loopback): starts it, runs
# bench_scenario against it (AC@1, AC@3, Avg@5 per fault for POST /v1/analytics/rca, a z-score
# and a random ranking; docs/benchmarks.md, "Root causes of generated faults"), stops it.
# Usage: bench/analytics/scenario.sh [BUILD_DIR] [bench_scenario options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-rel}
shift $(( $# > 0 ? 1 : 0 ))
cmake --build "$build" -j2 --target landscaped bench_scenario >/dev/null
tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'kill $LS 2>/dev/null; wait 2>/dev/null; [ -s "$tmp/ls.port" ] || cat "$tmp/ls.log"; rm -rf "$tmp"' EXIT
"$build/bin/landscaped" --listen 127.0.0.1:0 --port-file "$tmp/ls.port" --data-dir "$tmp/data" \
  --pg-fast-unsafe --log-level warn >"$tmp/ls.log" 2>&1 & LS=$!
for _ in $(seq 300); do [ -s "$tmp/ls.port" ] && break; sleep 0.2; done
"$build/bin/bench_scenario" "http://127.0.0.1:$(cat "$tmp/ls.port")" "$@"
