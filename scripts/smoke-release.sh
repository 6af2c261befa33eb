#!/usr/bin/env bash
# Builds what scripts/run-demo.sh builds (RelWithDebInfo, -Werror), serves the demo as it does
# (scripts/demo-serve.sh: the simulated cloud imported onto the demo machines), checks it
# serves the demo data, and stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
tmp=$(mktemp -d); chmod 755 "$tmp"
LISTEN=127.0.0.1:0 DATA_DIR="$tmp/data" scripts/demo-serve.sh --port-file "$tmp/port" \
  >"$tmp/log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 150); do [ -s "$tmp/port" ] && break; sleep 0.2; done
port=$(cat "$tmp/port" 2>/dev/null || true)
fail() { echo "smoke: FAILED: $*"; cat "$tmp/log"; echo "0 passed, 1 failed"; exit 1; }
[ -n "$port" ] || fail "landscaped did not start"
n=$(curl -fsS "http://127.0.0.1:$port/v1/nodes?type=instance&limit=1000" | grep -o '"type":"instance"' | wc -l)
[ "$n" -eq 300 ] || fail "expected 300 demo instances, got $n"
src=$(curl -fsS "http://127.0.0.1:$port/v1/sources")
grep -q '"state": *"ok"' <<<"$src" || fail "the simulated cloud was not imported: $src"
# a simulated hypervisor runs on a demo machine (the machine <-> hypervisor join)
# (answers are read whole before grep -q looks at them: piped, grep's early exit can fail curl
# with "Failed writing body", and pipefail then fails the check)
edges=$(curl -fsS "http://127.0.0.1:$port/v1/edges?src=nova:hypervisor:cmp-r01-01.dc1.example.net&type=runs_on")
grep -q '"dst": *"host:machine:cmp-r01-01"' <<<"$edges" || fail "hypervisor not joined to its machine"
page=$(curl -fsS "http://127.0.0.1:$port/")
grep -q '<title>Landscape</title>' <<<"$page" || fail "no web view"
kill -TERM $pid; wait $pid || fail "unclean shutdown"
grep -q 'embedded postgres stopped' "$tmp/log" || fail "embedded postgres not stopped"
# the optimised daemon allocates through mimalloc (CMakeLists.txt: LS_MIMALLOC)
grep -q 'allocator=mimalloc-' "$tmp/log" || fail "landscaped is not linked with mimalloc"
echo "smoke: release build serves the demo and shuts down cleanly"
