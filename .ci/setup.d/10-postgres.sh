# Sourced by .ci/run: installs and starts PostgreSQL and Redis for the PostgreSQL suite and
# the multi-node tests, and makes those tests mandatory. Idempotent: safe to source twice.

cabildo_pg_setup() {
    local need=()
    command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
    if [ "${#need[@]}" -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi

    # Debian's cluster: the newest installed version, created if the package did not.
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    local clusters
    clusters=$(pg_lsclusters -h | awk '{print $1" "$2}')
    if ! grep -qx "$version main" <<<"$clusters"; then
        pg_createcluster "$version" main >/dev/null
    fi
    pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
    local port
    port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
    for _ in $(seq 1 50); do
        su postgres -c "pg_isready -q -p $port" && break
        sleep 0.2
    done
    # A role that may create a database per test server.
    su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cabildo') THEN
    CREATE ROLE cabildo LOGIN CREATEDB PASSWORD 'cabildo';
  END IF;
END $$;
SQL
    # Many test servers run at once, each with its own pool: leave room for them.
    local max
    max=$(su postgres -c "psql -tA -p $port -c 'SHOW max_connections'")
    if [ "$max" -lt 500 ]; then
        su postgres -c "psql -q -p $port -c 'ALTER SYSTEM SET max_connections = 500'"
        pg_ctlcluster "$version" main restart
        for _ in $(seq 1 50); do
            su postgres -c "pg_isready -q -p $port" && break
            sleep 0.2
        done
    fi

    if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
        redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
        for _ in $(seq 1 50); do
            redis-cli -p 6379 ping >/dev/null 2>&1 && break
            sleep 0.1
        done
    fi

    export CABILDO_TEST_POSTGRES_URL="postgres://cabildo:cabildo@127.0.0.1:$port/postgres"
    export CABILDO_TEST_REDIS_URL="redis://127.0.0.1:6379"
    export CABILDO_REQUIRE_POSTGRES=1
    export CABILDO_REQUIRE_REDIS=1
}
cabildo_pg_setup
unset -f cabildo_pg_setup
