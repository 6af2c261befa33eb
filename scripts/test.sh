#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: installs what it needs,
# checks the code rules, smoke-tests the optimised build with the demo, builds with AddressSanitizer + UndefinedBehaviorSanitizer, and runs
# every unit and integration test (cmocka, via CTest) with leak detection on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/lint.sh
# The run command's build (optimised, -Werror) must build too, and start with the demo.
scripts/smoke-release.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Asan >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd build-asan
if ! ctest --output-on-failure -j"${LS_TEST_JOBS:-2}" "$@"; then
    # A failing test's output can be long; its telling lines again, last, where they are seen.
    echo "=== what the failing tests said (from build-asan/Testing/Temporary/LastTest.log) ==="
    awk '/^[0-9]+\/[0-9]+ Testing: / { name = $3; n = 0; delete keep }
         /\[  (FAILED|ERROR) +\]|[Aa]ssert|error:|ERROR: |SUMMARY:|landscaped (exited|was ended|did not)|^Thread |^#[0-9]/ {
             if (n < 80) keep[n++] = $0 }
         /^Test Failed\./ { print "--- " name; for (i = 0; i < n; i++) print keep[i] }' \
        Testing/Temporary/LastTest.log
    exit 8
fi
