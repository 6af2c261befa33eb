#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: installs what it needs,
# checks the code rules, smoke-tests the optimised build with the demo, builds with AddressSanitizer + UndefinedBehaviorSanitizer, and runs
# every unit and integration test (cmocka, via CTest) with leak detection on; then builds the
# threaded tests with ThreadSanitizer and runs them (label "tsan"). A test that skipped (exit 77)
# shows as "Skipped" and is listed under "The following tests did not run".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/lint.sh
# libFuzzer targets (clang, build-fuzz): every regression input, then a bounded fresh run per
# target (LS_FUZZ_SECONDS; about 4 minutes in all by default). docs/fuzzing.md.
scripts/fuzz.sh
# The run command's build (optimised, -Werror) must build too, and start with the demo.
scripts/smoke-release.sh

# A failing test's output can be long: its telling lines again, last, where they are seen.
failing_lines() { # build directory
    echo "=== what the failing tests said (from $1/Testing/Temporary/LastTest.log) ==="
    awk '/^[0-9]+\/[0-9]+ Testing: / { name = $3; n = 0; delete keep }
         /\[  (FAILED|ERROR) +\]|[Aa]ssert|error:|ERROR: |WARNING: ThreadSanitizer|SUMMARY:|landscaped (exited|was ended|did not)|^Thread |^#[0-9]|^    #[0-9]/ {
             if (n < 80) keep[n++] = $0 }
         /^Test Failed\./ { print "--- " name; for (i = 0; i < n; i++) print keep[i] }' \
        "$1/Testing/Temporary/LastTest.log"
}

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Asan >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if ! (cd build-asan && ctest --output-on-failure -j"${LS_TEST_JOBS:-2}" "$@" | tee ctest.out); then
    failing_lines build-asan
    exit 8
fi

# ThreadSanitizer: only the tests labelled tsan (tests/CMakeLists.txt LS_TSAN_TESTS) and the
# landscaped they drive are built. Every report fails its test (TSan exits 66; landscaped's
# exit status is checked when a test stops it).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Tsan >/dev/null
cmake --build build-tsan -j"$(nproc)" --target ls_tsan_tests
export TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1
if [ -f tests/tsan.supp ]; then # library-internal reports only, each with its reason
    TSAN_OPTIONS="$TSAN_OPTIONS:suppressions=$PWD/tests/tsan.supp"
fi
if ! (cd build-tsan && ctest -L tsan --output-on-failure -j"${LS_TEST_JOBS:-2}"); then
    failing_lines build-tsan
    exit 9
fi
# The last lines: what did not run is not a pass.
not_run=$(sed -n '/^The following tests did not run:/,/^$/p' build-asan/ctest.out)
if [ -n "$not_run" ]; then
    echo "=== passed, but these did not run (ASan build; their output says why) ==="
    echo "$not_run" | tail -n +2
else
    echo "=== passed: every test ran (ASan+UBSan in build-asan, TSan in build-tsan) ==="
fi
