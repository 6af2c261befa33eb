#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running Landscape: installs what it needs,
# builds, and starts landscaped with its embedded Postgres and the demo data center.
# Usage: scripts/run-demo.sh [extra landscaped flags]   (LISTEN=127.0.0.1:8080 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target landscaped >/dev/null
LISTEN=${LISTEN:-127.0.0.1:8080}
# As root the embedded Postgres runs as the postgres user, which must reach the data directory:
# keep it out of a home directory that only root can enter.
if [ "$(id -u)" -eq 0 ]; then DEFAULT_DATA=/var/lib/landscape-demo; else DEFAULT_DATA=$PWD/landscape-data; fi
DATA_DIR=${DATA_DIR:-$DEFAULT_DATA}
mkdir -p "$DATA_DIR"
exec build/bin/landscaped --listen "$LISTEN" --data-dir "$DATA_DIR" --demo "$@"
