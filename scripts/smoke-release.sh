#!/usr/bin/env bash
# Builds what scripts/run-demo.sh builds (RelWithDebInfo, -Werror), starts landscaped with the
# embedded Postgres and the demo, checks it serves the demo data, and stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
tmp=$(mktemp -d); chmod 755 "$tmp"
build/bin/landscaped --listen 127.0.0.1:0 --port-file "$tmp/port" --data-dir "$tmp/data" --demo \
  >"$tmp/log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 150); do [ -s "$tmp/port" ] && break; sleep 0.2; done
port=$(cat "$tmp/port" 2>/dev/null || true)
fail() { echo "smoke: FAILED: $*"; cat "$tmp/log"; echo "0 passed, 1 failed"; exit 1; }
[ -n "$port" ] || fail "landscaped did not start"
n=$(curl -fsS "http://127.0.0.1:$port/v1/nodes?type=instance&limit=1000" | grep -o '"type":"instance"' | wc -l)
[ "$n" -eq 300 ] || fail "expected 300 demo instances, got $n"
curl -fsS "http://127.0.0.1:$port/" | grep -q '<title>Landscape</title>' || fail "no web view"
kill -TERM $pid; wait $pid || fail "unclean shutdown"
grep -q 'embedded postgres stopped' "$tmp/log" || fail "embedded postgres not stopped"
echo "smoke: release build serves the demo and shuts down cleanly"
