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
DATA_DIR=${DATA_DIR:-$PWD/landscape-data}
exec build/bin/landscaped --listen "$LISTEN" --data-dir "$DATA_DIR" --demo "$@"
