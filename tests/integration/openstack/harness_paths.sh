#!/usr/bin/env bash
# The real-OpenStack tests' two ways of not running, told apart (issue 12 item 8):
#   no harness (or not root) -> every test skipped, exit 77, CTest "Not Run";
#   harness here, root, up.sh fails -> the test fails (exit neither 0 nor 77).
# A fake harness directory (LS_OPENSTACK_HARNESS) whose up.sh exits 1 stands in for a broken
# one; the real control plane is never started or stopped here, and LS_OSH_DIR keeps the
# logs away from its work directory.
# Usage: harness_paths.sh TEST_BINARY...
set -uo pipefail
tmp=$(mktemp -d /tmp/ls-osh-paths-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/broken"
printf '#!/bin/sh\necho "fake harness: up.sh fails on purpose" >&2\nexit 1\n' > "$tmp/broken/up.sh"
printf '#!/bin/sh\nexit 0\n' > "$tmp/broken/down.sh"
chmod +x "$tmp/broken/up.sh" "$tmp/broken/down.sh"
export LS_OSH_DIR="$tmp/work"
fail=0
expect() { # what, want ("skip" | "fail"), output file, status
    local what=$1 want=$2 out=$3 st=$4 ok=1
    case $want in
    skip) [ "$st" -eq 77 ] && grep -q '^# SKIPPING' "$out" || ok=0 ;;
    fail) [ "$st" -ne 0 ] && [ "$st" -ne 77 ] && grep -q 'up.sh .*failed' "$out" || ok=0 ;;
    esac
    if [ $ok -eq 1 ]; then
        echo "ok: $what: $want (exit $st)"
    else
        echo "FAILED: $what: wanted $want, got exit $st; its output:"; sed 's/^/  | /' "$out"
        fail=1
    fi
}
for bin in "$@"; do
    name=$(basename "$bin")
    LS_OPENSTACK_HARNESS="$tmp/absent" "$bin" > "$tmp/out" 2>&1
    expect "$name, no harness" skip "$tmp/out" $?
    LS_OPENSTACK_HARNESS="$tmp/broken" "$bin" > "$tmp/out" 2>&1
    st=$?
    if [ "$(id -u)" -eq 0 ]; then
        expect "$name, harness whose up.sh fails, as root" fail "$tmp/out" $st
    else
        expect "$name, harness whose up.sh fails, not root" skip "$tmp/out" $st
    fi
done
exit $fail
