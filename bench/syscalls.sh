#!/usr/bin/env bash
# Counts a server's system calls during a steady phase (docs/benchmarks/issue-19-2026-12-04.md):
#
#   bench/syscalls.sh TARGET [RATE]     # TARGET: cabildo, baseline, bun or node-ws
#
# Runs the compare's scenario at one rate (0.667 posts/s/member unless given) for 20 s
# through bench/run.sh, and counts the server's calls for 10 s in the middle of the phase
# with `perf stat -e 'syscalls:sys_enter_*'` (needs perf and access to tracepoints).
# Writes $OUT/TARGET-syscalls.log (the generator's report) and TARGET-syscalls.perf.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 rate=${2:-0.667}
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
log=$OUT/$target-syscalls.log
OUT=$OUT bench/run.sh "$target" syscalls 1 -- --scenario steady --workshops 10 --rooms 10 \
    --members 30 --payload 300 --rates "$rate" --duration 20 --p99-limit-ms 600000 --sources 8 \
    >"$log" 2>&1 &
run=$!
for _ in $(seq 600); do grep -q "connected in" "$log" 2>/dev/null && break; sleep 0.2; done
pid=$(grep -o 'server pid [0-9]*' "$log" | awk '{print $3}')
sleep 6
perf stat -e 'syscalls:sys_enter_*' -p "$pid" -- sleep 10 2>"$OUT/$target-syscalls.perf"
wait $run
grep -E '^ +[0-9,]+ +syscalls' "$OUT/$target-syscalls.perf" | awk '$1 != "0"' | sort -t' ' -k1 -nr | head -20
grep -m1 "rate $rate" "$log" || true
