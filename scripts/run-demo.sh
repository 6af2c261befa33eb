#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running Landscape: installs what it needs,
# builds, and starts landscaped with its embedded Postgres and the demo data center. The
# demo's cloud comes from the OpenStack simulator (ossim: Keystone, Nova, Placement, Neutron,
# Cinder and Heat APIs on loopback), imported by the real OpenStack importer, with its
# hypervisors on the demo's machines (scripts/demo-serve.sh). DEMO_CLOUD=none uses the
# built-in virtual layer instead.
# Usage: scripts/run-demo.sh [extra landscaped flags]   (LISTEN=127.0.0.1:8080 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target landscaped ossim >/dev/null
exec scripts/demo-serve.sh "$@"
