#!/usr/bin/env bash
# Fuzzing smoke run: builds the cargo-fuzz targets in fuzz/ (nightly toolchain) and runs
# each for a bounded time, starting from the seed corpus kept in fuzz/seeds/<target>/.
# Fails when a target is missing, when a run fails (crash, panic, leak, timeout, a build or
# start-up error), when an input that failed in an earlier run still fails, or when a
# target ran fewer executions than its minimum (a run that did next to nothing proves
# nothing). Longer runs and their numbers: docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"

SECONDS_PER_TARGET="${CABILDO_FUZZ_SECONDS:-45}"
# The targets that must exist, each with the fewest executions a smoke run must reach in
# 45 s (scaled to CABILDO_FUZZ_SECONDS). Derived from the last long run in
# docs/RELIABILITY.md (27 November 2026: 240 s each, AddressSanitizer, both at once on a
# loaded 2-core machine: 1,045,743 and 33,954 executions, about 196,000 and 6,400 per
# 45 s): a quarter of that rate, while the smoke run has no sanitizer and runs one at a time.
# A smoke run of 10 s each on 3 December 2026 (loaded machine) made 469,592 and 19,164.
declare -A MIN_EXECS_PER_45S=([protocol_decoder]=49000 [domain_commands]=1600)
# No AddressSanitizer in the smoke run: the crate forbids unsafe code, panics are what the
# targets look for, and building every dependency with ASAN would dominate the run.
# Longer runs (docs/RELIABILITY.md) use the default sanitizer.
FLAGS=(-O --sanitizer none)

# The fuzz build (every dependency, with the nightly toolchain and coverage instrumentation)
# is kept between CI runs on this machine, like cargo's registry: only what changed is
# rebuilt.
export CARGO_TARGET_DIR="${CABILDO_FUZZ_TARGET_DIR:-$HOME/.cache/cabildo/fuzz-target}"
mkdir -p "$CARGO_TARGET_DIR"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

targets=$(cargo +nightly fuzz list)
for needed in "${!MIN_EXECS_PER_45S[@]}"; do
    grep -qx "$needed" <<<"$targets" || { echo "fuzz target $needed is missing" >&2; exit 1; }
done
for target in $targets; do
    [ -n "${MIN_EXECS_PER_45S[$target]:-}" ] || {
        echo "fuzz target $target has no minimum in $0: add one" >&2
        exit 1
    }
done

cargo +nightly fuzz build "${FLAGS[@]}"
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
for target in $targets; do
    seeds="seeds/$target"
    [ -n "$(ls -A "$seeds" 2>/dev/null)" ] || { echo "no seed corpus in fuzz/$seeds" >&2; exit 1; }
    # New inputs go to corpus/<target> (kept on this machine, not in the repository); the
    # seeds are read, never written.
    mkdir -p "corpus/$target"
    min=$((MIN_EXECS_PER_45S[$target] * SECONDS_PER_TARGET / 45))
    echo "== fuzz $target for ${SECONDS_PER_TARGET}s (at least $min executions)"
    log="$log_dir/$target.log"
    # Inputs that failed in an earlier run on this machine (libFuzzer keeps them in
    # artifacts/<target>/) are run again first: the gate fails while one still fails, and
    # no longer once it is fixed (the files stay, for reference).
    earlier=()
    for f in "artifacts/$target"/crash-* "artifacts/$target"/oom-* "artifacts/$target"/leak-* \
        "artifacts/$target"/timeout-*; do
        [ -e "$f" ] && earlier+=("$f")
    done
    if [ "${#earlier[@]}" -gt 0 ]; then
        echo "== fuzz $target: running ${#earlier[@]} input(s) that failed before"
        if ! cargo +nightly fuzz run "${FLAGS[@]}" "$target" "${earlier[@]}" -- -rss_limit_mb=2048 \
            >"$log_dir/$target.earlier" 2>&1; then
            echo "fuzz target $target still fails on an input that failed before:" >&2
            tail -40 "$log_dir/$target.earlier" >&2
            exit 1
        fi
    fi
    mkdir -p "artifacts/$target"
    started="$log_dir/$target.started"
    touch "$started"
    status=0
    cargo +nightly fuzz run "${FLAGS[@]}" "$target" "corpus/$target" "$seeds" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    grep -E 'stat::number_of_executed_units|INITED|Done|ERROR|panicked|SUMMARY' "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "fuzz target $target failed (exit $status):" >&2
        tail -40 "$log" >&2
        exit 1
    fi
    found=$(find "artifacts/$target" -maxdepth 1 -type f -newer "$started" \( -name 'crash-*' \
        -o -name 'oom-*' -o -name 'leak-*' -o -name 'timeout-*' \))
    if [ -n "$found" ]; then
        echo "fuzz target $target left failure artifacts:" >&2
        echo "$found" >&2
        exit 1
    fi
    # Executions count from the end of loading the corpora ("#N INITED"): loading the
    # corpus, which grows on this machine from run to run, fuzzes nothing.
    total=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    inited=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]]*INITED.*/\1/p' "$log" | tail -1)
    if [ -z "$total" ] || [ -z "$inited" ]; then
        echo "fuzz target $target printed no execution count" >&2
        tail -40 "$log" >&2
        exit 1
    fi
    execs=$((total - inited))
    if [ "$execs" -lt "$min" ]; then
        echo "fuzz target $target ran $execs executions after loading its corpus, fewer than $min" >&2
        exit 1
    fi
    echo "fuzz $target: $execs executions after loading $inited inputs, no failure"
done
