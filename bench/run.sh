#!/usr/bin/env bash
# Runs one benchmark scenario against a fresh server: Cabildo (`cabildo`), the raw
# baseline (`baseline`) or a peer (`bun`: bench/peers/bun-hub.js on Bun.serve; `node-ws`:
# bench/peers/node-ws-hub.js on Node.js and ws; `npm ci` in bench/peers installs both), and
# writes the generator's JSON report(s) into $OUT.
#
#   bench/run.sh TARGET NAME SHARDS -- <cabildo-load run arguments>
#
# e.g. bench/run.sh cabildo steady 1 -- --scenario steady --workshops 30 --rooms 10 --members 30
# The binaries come from target/release (build them with `cargo build --release --bins`),
# or from the directory in $BIN (to compare two builds).
# SERVER_ARGS adds flags to `cabildo serve`, e.g. SERVER_ARGS="--rate-limit 0
# --participant-rate-limit 0" for the closed-loop `durable` scenario, which floods by design.
# Cabildo runs with the per-address join and code-lookup limits off: the generator joins
# every delegate from one address.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1 name=$2 shards=$3
shift 3
[ "${1:-}" = "--" ] && shift
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
ulimit -n 20000
bin=${BIN:-target/release}
port=${PORT:-18181}
admin=bench-admin-token-0123456789
work=$(mktemp -d)
# Whatever earlier work left to write back (a build, screenshots) would share the disk with
# this run's `fsync`s: write it out first.
sync
case "$target" in
cabildo)
    CABILDO_ADMIN_TOKEN=$admin RUST_LOG=cabildo=warn CABILDO_JOIN_RATE_LIMIT=0 CABILDO_LOOKUP_RATE_LIMIT=0 \
        "$bin/cabildo" serve --addr 127.0.0.1:$port --db "$work/bench.db" ${SERVER_ARGS:-} \
        >"$work/server.out" 2>"$work/server.err" &
    ;;
baseline) "$bin/cabildo-baseline" --addr 127.0.0.1:$port >"$work/server.out" 2>&1 & ;;
bun) bench/peers/node_modules/.bin/bun bench/peers/bun-hub.js $port >"$work/server.out" 2>&1 & ;;
node-ws) node bench/peers/node-ws-hub.js $port >"$work/server.out" 2>&1 & ;;
*) echo "unknown target $target" >&2 && exit 2 ;;
esac
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done
echo "== $target $name ($shards shard(s)) server pid $server; $(uptime)"
pids=()
for ((i = 0; i < shards; i++)); do
    "$bin/cabildo-load" run --url "http://127.0.0.1:$port" --target "$target" \
        --admin-token "$admin" --server-pid "$server" --shard "$i/$shards" \
        --barrier-dir "$work/barrier" --json "$OUT/$target-$name.$i.json" "$@" \
        2> >(sed -u "s/^/[$target $name $i] /" >&2) &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
files=()
for ((i = 0; i < shards; i++)); do files+=("$OUT/$target-$name.$i.json"); done
"$bin/cabildo-load" merge --out "$OUT/$target-$name.json" "${files[@]}"
