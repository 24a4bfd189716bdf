//! Process-wide counters, rendered as Prometheus text at `GET /metrics`.
//!
//! Plain atomics: incremented on the paths they count, read only when scraped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    /// WebSocket connections currently open.
    pub connections: AtomicU64,
    pub workshops_created: AtomicU64,
    pub participants_joined: AtomicU64,
    /// Commands decided (first answers, not retries answered from the record), and events
    /// committed.
    pub commands: AtomicU64,
    pub events: AtomicU64,
    /// Group commits and their failures.
    pub commits: AtomicU64,
    pub commit_failures: AtomicU64,
    /// Commands refused by a rate limit (`rate_limited`).
    pub rate_limited: AtomicU64,
    /// Connections closed for flooding (4029) or refused as one too many (4030).
    pub flood_closes: AtomicU64,
}

impl Metrics {
    pub fn render(&self, live_workshops: usize) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _infallible = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        metric(
            "cabildo_connections",
            "gauge",
            "Open WebSocket connections.",
            get(&self.connections),
        );
        metric(
            "cabildo_live_workshops",
            "gauge",
            "Workshops loaded in memory.",
            live_workshops as u64,
        );
        metric(
            "cabildo_workshops_created_total",
            "counter",
            "Workshops created.",
            get(&self.workshops_created),
        );
        metric(
            "cabildo_participants_joined_total",
            "counter",
            "Participants joined.",
            get(&self.participants_joined),
        );
        metric(
            "cabildo_commands_total",
            "counter",
            "Commands decided (retries answered from the idempotency record excluded).",
            get(&self.commands),
        );
        metric(
            "cabildo_events_total",
            "counter",
            "Events committed.",
            get(&self.events),
        );
        metric(
            "cabildo_commits_total",
            "counter",
            "Group commits attempted.",
            get(&self.commits),
        );
        metric(
            "cabildo_commit_failures_total",
            "counter",
            "Group commits that failed.",
            get(&self.commit_failures),
        );
        metric(
            "cabildo_rate_limited_total",
            "counter",
            "Commands refused by a rate limit.",
            get(&self.rate_limited),
        );
        metric(
            "cabildo_flood_closes_total",
            "counter",
            "Connections closed for flooding or refused as one too many for their participant.",
            get(&self.flood_closes),
        );
        out
    }
}
