#!/usr/bin/env bash
# Issue #20's scale-out figures with one command: the reference load (BENCHMARKS.md's
# `reference` scenario) and one hot workshop (closed-loop `durable`, flood limits off) on
# 1 node and on 3 nodes, all on PostgreSQL (the 3 nodes also on a Redis of their own),
# ROUNDS interleaved rounds (1 node, 3 nodes, 1 node, ...), each run on fresh processes and
# a fresh database. Workshops are created through node 0, so node 0 owns them all; the
# generator spreads the WebSocket connections in turn over the nodes (`--spread`), so two
# thirds of the commands are forwarded. A last run per round kills node 0 (`kill -9`) in
# the middle of the hot workshop's burst: its `ack max` is the failover. Prints one line per phase and writes the
# generator's JSON reports into $OUT.
#
#   bench/cluster.sh        # after `cargo build --release --bins`; needs psql, redis-server
#
# PG (postgres://cabildo:cabildo@127.0.0.1:5432: a role that may create databases), ROUNDS
# (2), OUT (bench/results/cluster), REF_ARGS, HOT_ARGS, BIN (target/release) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
PG=${PG:-postgres://cabildo:cabildo@127.0.0.1:5432}
OUT=${OUT:-bench/results/cluster}
bin=${BIN:-target/release}
admin=bench-admin-token-0123456789
REF_ARGS=${REF_ARGS:---scenario reference --workshops 100 --rooms 4 --members 14 --rates 0.033 --churn-per-min 1 --duration 30 --sources 8}
HOT_ARGS=${HOT_ARGS:---scenario durable --workshops 1 --rooms 99 --members 1 --inflight 16 --duration 10}
mkdir -p "$OUT"
ulimit -n 20000
tck=$(getconf CLK_TCK)

procs=()
stop_all() {
    for p in "${procs[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${procs[@]}"; do wait "$p" 2>/dev/null || true; done
    procs=()
}
trap stop_all EXIT

# CPU seconds (user + system) the given processes used so far.
cpu() {
    local total=0
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue # killed (the failover run)
        read -r ut st < <(awk '{print $14, $15}' "/proc/$p/stat")
        total=$((total + ut + st))
    done
    awk -v t="$total" -v k="$tck" 'BEGIN {printf "%.1f", t / k}'
}

# run NAME NODES SERVER_ARGS GENERATOR_ARGS... ($KILL_AFTER_EVENTS set: node 0, the
# owner, is killed with SIGKILL once it has stored that many events)
run() {
    local name=$1 nodes=$2 server_args=$3
    shift 3
    local db work redis_port flags=() servers=() spread=()
    db="bench_$(date +%s%N)"
    work=$(mktemp -d)
    psql -q "$PG/postgres" -c "CREATE DATABASE $db"
    if [ "$nodes" -gt 1 ]; then
        redis_port=$((20000 + RANDOM % 10000))
        redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >"$work/redis.log" 2>&1 &
        procs+=($!)
        for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
        flags=(--redis "redis://127.0.0.1:$redis_port")
    fi
    for ((i = 0; i < nodes; i++)); do
        local port=$((18181 + i))
        # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
        CABILDO_ADMIN_TOKEN=$admin RUST_LOG=cabildo=warn CABILDO_JOIN_RATE_LIMIT=0 CABILDO_LOOKUP_RATE_LIMIT=0 \
            CABILDO_DATABASE_URL="$PG/$db" "$bin/cabildo" serve --addr "127.0.0.1:$port" "${flags[@]}" \
            $server_args >"$work/node$i.log" 2>&1 &
        procs+=($!)
        servers+=($!)
        # One at a time: the first migrates the schema.
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
        [ "$i" -gt 0 ] && spread+=(--spread "127.0.0.1:$port")
    done
    local before after killer=
    before=$(cpu "${servers[@]}")
    if [ -n "${KILL_AFTER_EVENTS:-}" ]; then
        (
            while [ "$(curl -s http://127.0.0.1:18181/metrics | awk '$1 ~ /^cabildo_events_total/ {s += $2} END {print int(s)}')" \
                -lt "$KILL_AFTER_EVENTS" ]; do sleep 0.1; done
            kill -9 "${servers[0]}"
            echo "   killed node 0 (the owner) with SIGKILL at $(date -u +%T.%N)"
        ) &
        killer=$!
    fi
    "$bin/cabildo-load" run --url "http://127.0.0.1:18181" --admin-token "$admin" \
        --server-pid "${servers[0]}" "${spread[@]}" --json "$OUT/$name.json" "$@" \
        2> >(sed "s/^/[$name] /" >&2) >/dev/null
    after=$(cpu "${servers[@]}")
    [ -n "$killer" ] && wait "$killer"
    echo "== $name: $nodes node(s), all nodes' CPU over the run (setup included) $(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.1f", a - b}') s, load $(cut -d' ' -f1-3 /proc/loadavg)"
    jq -r '.phases[] | "   \(.name): acked \(.acked_per_s | floor)/s, deliveries \(.deliveries_per_s | floor)/s (\(.deliveries) of \(.expected_deliveries)), delivery p50 \(.latency.p50_us / 1000) ms p99 \(.latency.p99_us / 1000) ms, ack p50 \(.ack_latency.p50_us / 1000) ms p99 \(.ack_latency.p99_us / 1000) ms max \(.ack_latency.max_us / 1000) ms, errors \(.errors)"' "$OUT/$name.json"
    jq -r '"   lost \(.verification.lost), duplicates \(.verification.duplicates), unexpected \(.verification.unexpected), closed by server \(.closed_by_server), connect errors \(.connect_errors)"' "$OUT/$name.json"
    stop_all
    psql -q "$PG/postgres" -c "DROP DATABASE $db WITH (FORCE)"
    rm -rf "$work"
}

echo "== $(date -u +%FT%TZ), $ROUNDS rounds, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
    # shellcheck disable=SC2086 # the *_ARGS are lists of flags
    {
        run "reference-1node-r$round" 1 "" $REF_ARGS
        run "reference-3nodes-r$round" 3 "" $REF_ARGS
        run "hot-1node-r$round" 1 "--rate-limit 0 --participant-rate-limit 0" $HOT_ARGS
        run "hot-3nodes-r$round" 3 "--rate-limit 0 --participant-rate-limit 0" $HOT_ARGS
        # The owner killed mid-burst: the survivors' longest wait for an ack (ack max) is
        # the failover.
        KILL_AFTER_EVENTS=3000 run "failover-3nodes-r$round" 3 "--rate-limit 0 --participant-rate-limit 0" $HOT_ARGS
    }
done
