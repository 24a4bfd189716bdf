#!/usr/bin/env bash
# The integration suite again, with every test server on its own PostgreSQL database
# instead of a SQLite file (tests/common/mod.rs: CABILDO_TEST_BACKEND=postgres, on the server
# CABILDO_TEST_POSTGRES_URL names, exported by .ci/setup.d/10-postgres.sh). The multi-node
# tests (tests/cluster.rs) already ran in the main suite: they use PostgreSQL whatever the
# backend. Left out as well, because they test no storage behaviour or test SQLite's files
# themselves: browser, browser_* and web (the pages), load (the load generator), crash (checks
# the SQLite WAL), audio (it runs inside a network namespace of its own, where the
# PostgreSQL server on the machine's loopback cannot be reached; audio is live state, not
# stored). tests/operations.rs runs here (erasure, backup refusal, metrics, logs on
# PostgreSQL) without its tests named `sqlite_…` (the WAL file, VACUUM INTO backups).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${CABILDO_TEST_POSTGRES_URL:-}" ]; then
    echo "CABILDO_TEST_POSTGRES_URL is not set: source .ci/setup.d/10-postgres.sh first" >&2
    exit 1
fi
args=()
# Each test binary: tests/NAME.rs, or a folder tests/NAME/main.rs with its modules.
for t in tests/*.rs tests/*/main.rs; do
    case "$t" in
        */main.rs) name=$(basename "$(dirname "$t")") ;;
        *) name=$(basename "$t" .rs) ;;
    esac
    case "$name" in
        cluster | browser | browser_* | web | load | crash | audio | audio_*) continue ;;
    esac
    args+=(--test "$name")
done
echo "== cargo test (PostgreSQL backend): ${args[*]}"
CABILDO_TEST_BACKEND=postgres cargo test "${args[@]}" -- --skip sqlite_
