//! Process-wide metrics, rendered as Prometheus text at `GET /metrics`.
//!
//! The `metrics` facade records; `metrics-exporter-prometheus` keeps the values and renders
//! them from its handle in our own route (the exporter runs no listener of its own). Every
//! metric name lives here, beside the function that moves it, and in docs/OPERATIONS.md.

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const CONNECTIONS: &str = "cabildo_connections";
pub const LIVE_WORKSHOPS: &str = "cabildo_live_workshops";
pub const WORKSHOPS_CREATED: &str = "cabildo_workshops_created_total";
pub const WORKSHOPS_ERASED: &str = "cabildo_workshops_erased_total";
pub const PARTICIPANTS_JOINED: &str = "cabildo_participants_joined_total";
pub const COMMANDS: &str = "cabildo_commands_total";
pub const EVENTS: &str = "cabildo_events_total";
pub const DELIVERIES: &str = "cabildo_event_deliveries_total";
pub const SLOW_CLIENTS: &str = "cabildo_slow_client_disconnects_total";
pub const COMMITS: &str = "cabildo_commits_total";
pub const COMMIT_FAILURES: &str = "cabildo_commit_failures_total";
pub const STORE_SECONDS: &str = "cabildo_store_seconds";
pub const RATE_LIMITED: &str = "cabildo_rate_limited_total";
pub const FLOOD_CLOSES: &str = "cabildo_flood_closes_total";
pub const CONNECTIONS_REFUSED: &str = "cabildo_connections_refused_total";
pub const EXPORTS_IN_FLIGHT: &str = "cabildo_exports_in_flight";
pub const FORWARDED: &str = "cabildo_forwarded_commands_total";
pub const TAKEOVERS: &str = "cabildo_workshop_takeovers_total";
pub const INBOX_FULL: &str = "cabildo_inbox_full_total";
pub const WORKSHOPS_EVICTED: &str = "cabildo_workshops_evicted_total";
pub const WORKSHOP_LOADS: &str = "cabildo_workshop_loads_total";
pub const WORKSHOP_LOAD_SECONDS: &str = "cabildo_workshop_load_seconds";
pub const LOADED_EVENTS: &str = "cabildo_workshop_load_events_total";
pub const SNAPSHOTS_WRITTEN: &str = "cabildo_snapshots_written_total";
pub const WAKE_PENDING: &str = "cabildo_wake_pending_workshops";

/// Histogram buckets of `cabildo_store_seconds`: 0.5 ms to 5 s.
const STORE_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's recorder, installed on first use. One per process: every server started in
/// the process shares it (tests start one server per process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(STORE_SECONDS.into()), STORE_BUCKETS)
            .expect("the bucket list is not empty")
            .set_buckets_for_metric(Matcher::Full(WORKSHOP_LOAD_SECONDS.into()), STORE_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows only zeros");
        }
        describe();
        // Present from the first scrape, before anything happened.
        for name in [
            WORKSHOPS_CREATED,
            WORKSHOPS_ERASED,
            PARTICIPANTS_JOINED,
            EVENTS,
            DELIVERIES,
            SLOW_CLIENTS,
            COMMITS,
            COMMIT_FAILURES,
            FLOOD_CLOSES,
            CONNECTIONS_REFUSED,
            INBOX_FULL,
            WORKSHOPS_EVICTED,
            LOADED_EVENTS,
            SNAPSHOTS_WRITTEN,
        ] {
            counter!(name).absolute(0);
        }
        gauge!(CONNECTIONS).set(0.0);
        gauge!(EXPORTS_IN_FLIGHT).set(0.0);
        gauge!(WAKE_PENDING).set(0.0);
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(CONNECTIONS, "Open WebSocket connections.");
    describe_gauge!(LIVE_WORKSHOPS, "Workshops loaded in memory.");
    describe_gauge!(
        WAKE_PENDING,
        "Workshops start-up's wake has yet to fold (a timer running, a snapshot behind the log, or no current snapshot)."
    );
    describe_counter!(WORKSHOPS_CREATED, "Workshops created.");
    describe_counter!(WORKSHOPS_ERASED, "Workshops erased through the API.");
    describe_counter!(PARTICIPANTS_JOINED, "Participants joined.");
    describe_counter!(
        COMMANDS,
        "Commands decided, by type and outcome (ok or the error code)."
    );
    describe_counter!(EVENTS, "Events committed.");
    describe_counter!(
        DELIVERIES,
        "Event frames queued to connections (one per event per receiving connection)."
    );
    describe_counter!(
        SLOW_CLIENTS,
        "Connections closed because their outgoing queue overflowed (close code 4008)."
    );
    describe_counter!(COMMITS, "Group commits attempted.");
    describe_counter!(COMMIT_FAILURES, "Group commits that failed.");
    describe_histogram!(
        STORE_SECONDS,
        Unit::Seconds,
        "Time spent in the store, by operation (create, append, load, erase)."
    );
    describe_counter!(
        FLOOD_CLOSES,
        "Connections closed for flooding (4029) or as one too many for their participant (4030)."
    );
    describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections answered 503 and closed because --max-connections were open."
    );
    describe_gauge!(
        EXPORTS_IN_FLIGHT,
        "Exports being rendered or sent (at most --max-exports)."
    );
    describe_counter!(
        FORWARDED,
        "Commands and joins this node forwarded to the workshop's owner node (cluster)."
    );
    describe_counter!(
        TAKEOVERS,
        "Workshops this node took over after their owner node went silent (cluster)."
    );
    describe_counter!(
        INBOX_FULL,
        "Messages (commands, joins, hellos, reports) that found their workshop's inbox full and waited for room."
    );
    describe_counter!(
        WORKSHOPS_EVICTED,
        "Workshop actors stopped after --workshop-idle-evict without connections (their state stays in the store)."
    );
    describe_counter!(
        WORKSHOP_LOADS,
        "Workshops loaded into memory, by source: snapshot (latest snapshot and the log's tail) or log (the whole log)."
    );
    describe_histogram!(
        WORKSHOP_LOAD_SECONDS,
        Unit::Seconds,
        "Time to load a workshop into memory (read the store, decode, replay), by source."
    );
    describe_counter!(
        LOADED_EVENTS,
        "Events replayed from the log while loading workshops (the tails after their snapshots)."
    );
    describe_counter!(
        SNAPSHOTS_WRITTEN,
        "Workshop snapshots written to the store."
    );
    describe_counter!(
        RATE_LIMITED,
        "Requests or commands refused with rate_limited, by limit."
    );
}

/// The Prometheus text of every metric, with the live-workshop gauge read now.
pub fn render(live_workshops: usize) -> String {
    let handle = handle();
    gauge!(LIVE_WORKSHOPS).set(live_workshops as f64);
    handle.render()
}

pub fn connection_opened() {
    gauge!(CONNECTIONS).increment(1.0);
}

pub fn connection_closed() {
    gauge!(CONNECTIONS).decrement(1.0);
}

pub fn workshop_created() {
    counter!(WORKSHOPS_CREATED).increment(1);
}

pub fn workshop_erased() {
    counter!(WORKSHOPS_ERASED).increment(1);
}

pub fn participant_joined() {
    counter!(PARTICIPANTS_JOINED).increment(1);
}

/// One decided command: its wire type and `ok` or the error code it was refused with.
pub fn command(kind: &'static str, outcome: &'static str) {
    counter!(COMMANDS, "command" => kind, "outcome" => outcome).increment(1);
}

pub fn events_committed(n: usize) {
    counter!(EVENTS).increment(n as u64);
}

pub fn events_delivered(n: usize) {
    counter!(DELIVERIES).increment(n as u64);
}

pub fn slow_client_disconnected() {
    counter!(SLOW_CLIENTS).increment(1);
}

/// Whether the last group commit failed (read by `GET /readyz`).
static LAST_WRITE_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// One group commit; `ok` is whether it became durable.
pub fn commit(ok: bool) {
    counter!(COMMITS).increment(1);
    LAST_WRITE_FAILED.store(!ok, std::sync::atomic::Ordering::Relaxed);
    if !ok {
        counter!(COMMIT_FAILURES).increment(1);
    }
}

/// Whether the store's last group commit failed: the disk may be full or the database
/// refuse writes. Cleared by the next commit that succeeds.
pub fn last_write_failed() -> bool {
    LAST_WRITE_FAILED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Time one store operation took (`create`, `append`, `load`, `erase`).
pub fn store_latency(op: &'static str, took: Duration) {
    histogram!(STORE_SECONDS, "op" => op).record(took.as_secs_f64());
}

/// A request or command refused because a rate limit was hit. `limit` names the limit
/// (for example `join` or `commands`); keep the set of names small and fixed.
pub fn rate_limited(limit: &'static str) {
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// A connection closed for flooding (4029) or as one too many for its participant (4030).
pub fn flood_closed() {
    counter!(FLOOD_CLOSES).increment(1);
}

/// A connection refused because `--max-connections` were open.
pub fn connection_refused() {
    counter!(CONNECTIONS_REFUSED).increment(1);
}

/// An export started (`+1`) or finished (`-1`).
pub fn exports_in_flight(delta: f64) {
    gauge!(EXPORTS_IN_FLIGHT).increment(delta);
}

/// A command or join forwarded to the workshop's owner node.
pub fn command_forwarded() {
    counter!(FORWARDED).increment(1);
}

/// A workshop taken over from a silent owner node.
pub fn takeover() {
    counter!(TAKEOVERS).increment(1);
}

/// A message found its workshop's inbox full (`--workshop-inbox`) and waits for room: the
/// connection that sent it reads nothing more from its socket meanwhile.
pub fn inbox_full() {
    counter!(INBOX_FULL).increment(1);
}

/// A workshop actor evicted after its idle period.
pub fn workshop_evicted() {
    counter!(WORKSHOPS_EVICTED).increment(1);
}

/// A workshop loaded into memory: from a snapshot and the log's tail (`snapshot`) or the
/// whole log (`log`), with how many events were replayed and how long it took.
pub fn workshop_loaded(source: &'static str, events: usize, took: Duration) {
    counter!(WORKSHOP_LOADS, "source" => source).increment(1);
    counter!(LOADED_EVENTS).increment(events as u64);
    histogram!(WORKSHOP_LOAD_SECONDS, "source" => source).record(took.as_secs_f64());
}

/// Workshops start-up's wake has yet to fold.
pub fn wake_pending(workshops: usize) {
    gauge!(WAKE_PENDING).set(workshops as f64);
}

/// A snapshot stored.
pub fn snapshot_written() {
    counter!(SNAPSHOTS_WRITTEN).increment(1);
}
