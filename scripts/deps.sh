#!/usr/bin/env bash
# Installs everything Landscape needs to build, run and test on Debian 12 (run as root, or
# with sudo available). Safe to run again: apt-get skips what is installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang-format
  clang libclang-rt-14-dev  # the libFuzzer build (scripts/fuzz.sh): clang 14 and its fuzzer runtime
  libpq-dev postgresql
  libmicrohttpd-dev nettle-dev libjansson-dev libcurl4-openssl-dev librdkafka-dev libyaml-dev
  libhwloc-dev hwloc liblldpctl-dev
  libcmocka-dev libmimalloc-dev
  curl wrk procps
  openssl gdb  # tests: a certificate for the HTTPS simulator; thread stacks of a service that hangs
  docker-compose  # tests: `docker-compose config` validates docker/docker-compose.yml (no engine)
  # integrations/openstack (Python, Debian's only): its client, the Nova and Watcher plugins'
  # base classes for the unit tests, and the `openstack` CLI the plugin extends
  python3-keystoneauth1 python3-oslo.config python3-oslo.log python3-nova python3-watcher
  python3-watcherclient python3-openstackclient python3-osc-lib python3-cliff
  chromium fonts-dejavu-core  # tests: the web view in headless Chromium (tests/integration/browser)
)
# The web view is built with npm (ui/package-lock.json): Debian's nodejs and npm, unless a
# node with npm is installed already (e.g. from NodeSource, whose nodejs package has npm inside).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
echo "deps: all installed"
