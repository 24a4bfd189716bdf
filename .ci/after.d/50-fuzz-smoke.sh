#!/usr/bin/env bash
# Fuzzing smoke run: builds the cargo-fuzz targets in fuzz/ (nightly toolchain) and runs
# each for a bounded time. Longer runs and their numbers: docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"

SECONDS_PER_TARGET="${CABILDO_FUZZ_SECONDS:-45}"
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

cargo +nightly fuzz build "${FLAGS[@]}"
for target in $(cargo +nightly fuzz list); do
    echo "== fuzz $target for ${SECONDS_PER_TARGET}s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "${FLAGS[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 2>&1 |
        grep -E 'stat::number_of_executed_units|Done|ERROR|panicked|SUMMARY' || true
    # A crash leaves an artifact and a non-zero status; pipefail is off for grep, so check.
    if ls "artifacts/$target"/crash-* "artifacts/$target"/oom-* "artifacts/$target"/timeout-* >/dev/null 2>&1; then
        echo "fuzz target $target found a failure:"; ls "artifacts/$target"
        exit 1
    fi
done
