#!/usr/bin/env bash
# The side-by-side comparison of issue #19 with one command: Cabildo, the raw baseline,
# Bun.serve pub/sub and Node.js ws, the same generator and scenario, ROUNDS interleaved
# rounds (each round runs every server once, in turn, on a fresh process), then the table
# with the ratios to Bun (`cabildo-load compare`).
#
#   bench/compare.sh            # after `cargo build --release --bins` and `npm ci` in bench/peers
#
# ROUNDS (3), RATES (posts/s per member, in order), DURATION (s per rate), CPU_RATE (the rate
# whose CPU per delivery and p99 are compared: 0.667 is 60,000 deliveries/s here), TARGETS,
# OUT (bench/results/compare) can be set in the environment. The scenario: 10 workshops ×
# 10 rooms × 30 members (3,000 connections, 100 rooms), 300-byte posts; the server's RSS
# per connection is read once everyone is connected and welcomed, before any post. Every
# rate runs in every round, whatever its p99, so each figure has all its rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
RATES=${RATES:-0.2,0.4,0.667,1,1.33}
DURATION=${DURATION:-8}
CPU_RATE=${CPU_RATE:-0.667}
TARGETS=${TARGETS:-cabildo baseline bun node-ws}
export OUT=${OUT:-bench/results/compare}
bin=${BIN:-target/release}
[ -x bench/peers/node_modules/.bin/bun ] || (cd bench/peers && npm ci --no-audit --no-fund)
mkdir -p "$OUT"
files=()
for ((round = 1; round <= ROUNDS; round++)); do
    for target in $TARGETS; do
        bench/run.sh "$target" "steady$round" 1 -- --scenario steady --workshops 10 --rooms 10 \
            --members 30 --payload 300 --rates "$RATES" --duration "$DURATION" --p99-limit-ms 600000 \
            --sources 8
        files+=("$OUT/$target-steady$round.json")
    done
done
echo "== $(date -u +%FT%TZ), $ROUNDS rounds, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/cabildo-load" compare --rate "$CPU_RATE" "${files[@]}"
