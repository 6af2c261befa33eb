#!/usr/bin/env bash
# Serves the demo from an existing build (build/bin): the simulated cloud (ossim) and
# landscaped with its embedded Postgres, the demo's machines and that cloud imported by the
# OpenStack importer. scripts/run-demo.sh installs and builds first; the smoke test uses this.
# DEMO_CLOUD=none: the built-in virtual layer instead of the simulator.
# Usage: scripts/demo-serve.sh [extra landscaped flags]  (LISTEN, DATA_DIR, BUILD_DIR from env)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}
# As root the embedded Postgres runs as the postgres user, which must reach the data directory:
# keep it out of a home directory that only root can enter.
if [ "$(id -u)" -eq 0 ]; then DEFAULT_DATA=/var/lib/landscape-demo; else DEFAULT_DATA=$PWD/landscape-data; fi
DATA_DIR=${DATA_DIR:-$DEFAULT_DATA}
mkdir -p "$DATA_DIR"
if [ "${DEMO_CLOUD:-sim}" = none ]; then
  exec "$BUILD_DIR/bin/landscaped" --listen "$LISTEN" --data-dir "$DATA_DIR" --demo "$@"
fi

# The simulated cloud: 32 hypervisors named after the demo machines (4 racks x 8).
names=$(for r in 1 2 3 4; do for m in 1 2 3 4 5 6 7 8; do
  printf 'cmp-r%02d-%02d.dc1.example.net,' "$r" "$m"; done; done)
SIM_DIR=$(mktemp -d /tmp/landscape-demo-sim.XXXXXX)
"$BUILD_DIR/bin/ossim" --hypervisor-names "${names%,}" --servers 300 --volumes 150 --networks 6 \
  --projects 6 --aggregates 2 --stacks 4 --clouds-yaml "$SIM_DIR/clouds.yaml" \
  > "$SIM_DIR/ossim.out" 2>&1 &
SIM_PID=$!
LS_PID=
cleanup() {
  if [ -n "$LS_PID" ]; then kill "$LS_PID" 2>/dev/null || true; wait "$LS_PID" 2>/dev/null || true; fi
  kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$SIM_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # until landscaped runs; then the signal is passed on to it
for _ in $(seq 50); do grep -q listening "$SIM_DIR/ossim.out" && break; sleep 0.1; done
grep -q listening "$SIM_DIR/ossim.out" || { cat "$SIM_DIR/ossim.out"; exit 1; }
sim_url=$(sed -n 's/^ossim listening on \(http:\/\/[^/]*\).*/\1/p' "$SIM_DIR/ossim.out")
echo "demo cloud: OpenStack simulator at $sim_url (change it: curl -X POST '$sim_url/_sim/churn?fraction=0.05')"
OS_CLIENT_CONFIG_FILE="$SIM_DIR/clouds.yaml" "$BUILD_DIR/bin/landscaped" --listen "$LISTEN" \
  --data-dir "$DATA_DIR" --demo --os-cloud sim --os-sync-interval 10 "$@" &
LS_PID=$!
trap 'kill -TERM "$LS_PID" 2>/dev/null' INT TERM
rc=0
wait "$LS_PID" || rc=$?
if [ "$rc" -gt 128 ]; then # the wait was cut short by a signal: landscaped is shutting down
  rc=0
  wait "$LS_PID" || rc=$?
fi
LS_PID=
exit "$rc"
