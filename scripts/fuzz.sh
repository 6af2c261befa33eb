#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, CMake option LS_FUZZ, clang, directory build-fuzz)
# and, for every target built:
#   1. runs every input of its regression corpus tests/fuzz/corpus/<target>/ once (always);
#   2. fuzzes it afresh for LS_FUZZ_SECONDS seconds (default: 240 s shared by all targets, at
#      least 10 s each; 0 skips this step), new inputs going to a scratch directory, never into
#      the repository.
# Exits non-zero when any target crashes, leaks, hangs (-timeout) or breaks its checks; the
# last line is `fuzz: N passed, N failed`. Crash inputs are left in the scratch directory
# (printed): copy one to tests/fuzz/corpus/<target>/ named after what it found, with the fix.
# Environment: LS_FUZZ_SECONDS, LS_FUZZ_TARGETS (space-separated names; default all),
# LS_FUZZ_SCRATCH (default: a new directory under ${TMPDIR:-/tmp}), LS_FUZZ_JOBS (build -j).
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}"
fi
CC=clang cmake -S . -B "$build" -DLS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    >/dev/null
cmake --build "$build" --target fuzz -j"${LS_FUZZ_JOBS:-$(nproc)}"

targets=()
if [[ -n "${LS_FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$LS_FUZZ_TARGETS"
else
    for bin in "$build"/fuzz/fuzz_*; do
        [[ -x "$bin" ]] && targets+=("${bin##*/fuzz_}")
    done
fi
if ((${#targets[@]} == 0)); then
    echo "fuzz: no targets built in $build/fuzz" >&2
    exit 2
fi

if [[ -n "${LS_FUZZ_SECONDS:-}" ]]; then
    secs="$LS_FUZZ_SECONDS"
else
    secs=$((240 / ${#targets[@]}))
    ((secs < 10)) && secs=10
fi
scratch="${LS_FUZZ_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/ls-fuzz.XXXXXX")}"
mkdir -p "$scratch"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

passed=0
failed=0
for t in "${targets[@]}"; do
    bin="$build/fuzz/fuzz_$t"
    corpus="tests/fuzz/corpus/$t"
    log="$scratch/$t.log"
    extra=()
    [[ -f "tests/fuzz/$t.dict" ]] && extra+=("-dict=tests/fuzz/$t.dict")
    [[ -f "tests/fuzz/$t.options" ]] && read -r -a opts <"tests/fuzz/$t.options" && extra+=("${opts[@]}")
    if [[ ! -x "$bin" || ! -d "$corpus" ]]; then
        echo "fuzz: $t: FAILED (no binary $bin or no corpus $corpus)"
        failed=$((failed + 1))
        continue
    fi
    # 1. the regression corpus: each input once, by file (libFuzzer runs files given as
    #    arguments without fuzzing; leaks are checked at exit)
    n_inputs=$(find "$corpus" -type f | wc -l)
    if ! find "$corpus" -type f -print0 |
        xargs -0 -r -n 200 "$bin" -timeout=10 "${extra[@]}" >"$log" 2>&1; then
        echo "fuzz: $t: FAILED on its regression corpus ($n_inputs inputs); log: $log"
        grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|Running: )" "$log" | tail -5 || true
        failed=$((failed + 1))
        continue
    fi
    # 2. a bounded fresh run: new inputs into the scratch corpus, the repository's read only
    if ((secs > 0)); then
        mkdir -p "$scratch/$t/new" "$scratch/$t/crash"
        if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$scratch/$t/crash/" "${extra[@]}" "$scratch/$t/new" "$corpus" \
            >>"$log" 2>&1; then
            echo "fuzz: $t: FAILED in a fresh run; log: $log; input: $(ls -d "$scratch/$t/crash/"* 2>/dev/null | head -1)"
            grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)" "$log" | tail -5 || true
            failed=$((failed + 1))
            continue
        fi
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz: $t: ok ($n_inputs corpus inputs; ${execs:-?} executions in ${secs}s, $(find "$scratch/$t/new" -type f | wc -l) new inputs in $scratch/$t/new)"
    else
        echo "fuzz: $t: ok ($n_inputs corpus inputs; no fresh run)"
    fi
    passed=$((passed + 1))
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
