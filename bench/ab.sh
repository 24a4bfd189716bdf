#!/usr/bin/env bash
# Interleaved A/B rounds of several builds of Cabildo (docs/benchmarks/issue-19.md):
#
#   bench/ab.sh TAG ROUNDS A B [C …]
#
# Each of A, B … names a build whose binaries (`cabildo`, `cabildo-load`) are in
# $BINS/bin-A, $BINS/bin-B … (BINS: bench/builds; copy them there from target/release
# after each `cargo build --release --bins`). Every round runs each build once, in turn, on
# a fresh server through bench/run.sh with the compare's scenario (10 workshops × 10 rooms
# × 30 members, 300-byte posts) at RATES (0.667,1.33) for DURATION (10) s each, and prints
# one line per build and rate: latency and CPU per million deliveries. The reports go to
# $OUT (bench/results/ab-TAG).
set -uo pipefail
cd "$(dirname "$0")/.."
tag=$1 rounds=$2
shift 2
BINS=${BINS:-bench/builds}
export OUT=${OUT:-bench/results/ab-$tag}
for ((r = 1; r <= rounds; r++)); do
    for v in "$@"; do
        BIN=$BINS/bin-$v bench/run.sh cabildo "$v-$r" 1 -- --scenario steady --workshops 10 \
            --rooms 10 --members 30 --payload 300 --rates "${RATES:-0.667,1.33}" \
            --duration "${DURATION:-10}" --p99-limit-ms 600000 --sources 8 2>&1 |
            grep -o "step .*server cpu [0-9.]*s ([0-9.]* s/M deliveries)" |
            sed -E -e "s/^/$v r$r /" -e 's/acked.*latency//'
    done
done
