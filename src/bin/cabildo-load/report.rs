//! The figures a run reports, the server's `/proc` readings, and merging the reports of
//! several generator processes (`--shard i/n`) into one.

use crate::client::Outcome;
use crate::shared::histogram;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A latency distribution in microseconds; `buckets` keeps it mergeable.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct Latency {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// (value, count) of every recorded bucket.
    pub buckets: Vec<(u64, u64)>,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
            buckets: h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    fn histogram(&self) -> Histogram<u64> {
        let mut h = histogram();
        for &(value, count) in &self.buckets {
            let _saturated = h.record_n(value.max(1), count);
        }
        h
    }

    fn merge(all: &[&Latency]) -> Latency {
        let mut h = histogram();
        for l in all {
            h.add(l.histogram()).expect("same bounds");
        }
        Latency::of(&h)
    }
}

/// One measured stretch of a scenario.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct Phase {
    pub name: String,
    /// Posts per second per member (steady, reference), or in flight per member (durable).
    pub load: f64,
    /// From the start of posting to the last delivery (or the drain timeout).
    pub seconds: f64,
    pub sent: u64,
    pub acked: u64,
    pub acked_per_s: f64,
    pub deliveries: u64,
    pub deliveries_per_s: f64,
    /// Deliveries owed for the posts acknowledged in this phase (members connected at ack).
    pub expected_deliveries: u64,
    pub errors: BTreeMap<String, u64>,
    pub latency: Latency,
    pub ack_latency: Latency,
    pub server_cpu_s: Option<f64>,
    pub server_cpu_s_per_million_deliveries: Option<f64>,
    pub server_rss_kib_end: Option<u64>,
    pub load_avg: String,
    pub drained: bool,
}

impl Phase {
    /// One line for people.
    pub fn line(&self) -> String {
        let ms = |us: u64| us as f64 / 1e3;
        format!(
            "{:<12} {:>6.1}s acked {:>8.0}/s deliveries {:>9.0}/s ({} of {} owed) latency p50 {:.1} p99 {:.1} p99.9 {:.1} max {:.1} ms, ack p99 {:.1} ms, server cpu {:.2}s ({:.2} s/M deliveries) errors {:?} drained {} load {}",
            self.name,
            self.seconds,
            self.acked_per_s,
            self.deliveries_per_s,
            self.deliveries,
            self.expected_deliveries,
            ms(self.latency.p50_us),
            ms(self.latency.p99_us),
            ms(self.latency.p999_us),
            ms(self.latency.max_us),
            ms(self.ack_latency.p99_us),
            self.server_cpu_s.unwrap_or(0.0),
            self.server_cpu_s_per_million_deliveries.unwrap_or(0.0),
            self.errors,
            self.drained,
            self.load_avg,
        )
    }
}

#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct Verification {
    /// Deliveries owed: for every acknowledged post, every member of its room that stayed.
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    /// Deliveries of posts that were never acknowledged.
    pub unexpected: u64,
    /// Deliveries owed to connections the server closed (counted apart from `lost`).
    pub lost_at_dropped_connections: u64,
}

impl Verification {
    /// Compares what every receiver got with what every sender had acknowledged.
    pub fn check(outcomes: &[Outcome], duplicates: u64) -> Verification {
        let mut rooms: HashMap<u32, Vec<&Outcome>> = HashMap::new();
        for o in outcomes {
            rooms.entry(o.room).or_default().push(o);
        }
        let mut v = Verification {
            duplicates,
            ..Verification::default()
        };
        for members in rooms.values() {
            for receiver in members.iter().filter(|o| o.connected) {
                for sender in members {
                    let acked = &sender.acked;
                    let got = &receiver.received[sender.slot as usize];
                    let owed = acked.count();
                    let missing = acked.missing_from(got);
                    if receiver.dropped {
                        v.lost_at_dropped_connections += missing;
                        continue;
                    }
                    v.expected += owed;
                    v.delivered += owed - missing;
                    v.lost += missing;
                    v.unexpected += got.missing_from(acked);
                }
            }
        }
        v
    }
}

#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct Report {
    pub target: String,
    pub scenario: String,
    pub shards: Vec<String>,
    pub params: BTreeMap<String, String>,
    pub machine: String,
    pub load_avg_start: String,
    pub connections_attempted: u64,
    pub connections_held: u64,
    pub connect_errors: u64,
    pub connect_error_samples: Vec<String>,
    pub closed_by_server: BTreeMap<String, u64>,
    pub setup_s: f64,
    pub connect_s: f64,
    pub server_rss_kib_start: Option<u64>,
    pub server_rss_kib_joined: Option<u64>,
    pub server_rss_kib_held: Option<u64>,
    /// (RSS with every connection held − RSS before connecting) / connections held.
    pub server_rss_bytes_per_connection: Option<f64>,
    /// The same from before the workshops were created: includes each participant's state.
    pub server_rss_bytes_per_participant: Option<f64>,
    pub phases: Vec<Phase>,
    pub verification: Verification,
    pub presence_frames: u64,
    pub other_frames: u64,
    pub reconnects: u64,
    pub resumed_events: u64,
    pub snapshot_resyncs: u64,
}

impl Report {
    pub fn per_connection(&mut self) {
        let held = self.connections_held as f64;
        if held == 0.0 {
            return;
        }
        if let (Some(a), Some(b)) = (self.server_rss_kib_joined, self.server_rss_kib_held) {
            self.server_rss_bytes_per_connection = Some((b as f64 - a as f64) * 1024.0 / held);
        }
        if let (Some(a), Some(b)) = (self.server_rss_kib_start, self.server_rss_kib_held) {
            self.server_rss_bytes_per_participant = Some((b as f64 - a as f64) * 1024.0 / held);
        }
    }

    /// One report for a run split over several processes: counts add up, latencies merge,
    /// server figures (one server for all) take the widest reading.
    pub fn merge(parts: &[Report]) -> anyhow::Result<Report> {
        let first = parts
            .first()
            .ok_or_else(|| anyhow::anyhow!("nothing to merge"))?;
        let mut out = first.clone();
        out.shards = parts.iter().flat_map(|p| p.shards.clone()).collect();
        let sum = |f: fn(&Report) -> u64| parts.iter().map(f).sum::<u64>();
        out.connections_attempted = sum(|r| r.connections_attempted);
        out.connections_held = sum(|r| r.connections_held);
        out.connect_errors = sum(|r| r.connect_errors);
        out.presence_frames = sum(|r| r.presence_frames);
        out.other_frames = sum(|r| r.other_frames);
        out.reconnects = sum(|r| r.reconnects);
        out.resumed_events = sum(|r| r.resumed_events);
        out.snapshot_resyncs = sum(|r| r.snapshot_resyncs);
        out.connect_error_samples = parts
            .iter()
            .flat_map(|p| p.connect_error_samples.clone())
            .take(10)
            .collect();
        out.closed_by_server = BTreeMap::new();
        for p in parts {
            for (k, v) in &p.closed_by_server {
                *out.closed_by_server.entry(k.clone()).or_default() += v;
            }
        }
        out.setup_s = parts.iter().map(|p| p.setup_s).fold(0.0, f64::max);
        out.connect_s = parts.iter().map(|p| p.connect_s).fold(0.0, f64::max);
        out.server_rss_kib_start = parts.iter().filter_map(|p| p.server_rss_kib_start).min();
        out.server_rss_kib_joined = parts.iter().filter_map(|p| p.server_rss_kib_joined).min();
        out.server_rss_kib_held = parts.iter().filter_map(|p| p.server_rss_kib_held).max();
        out.per_connection();
        let v = &mut out.verification;
        *v = Verification::default();
        for p in parts {
            let pv = &p.verification;
            v.expected += pv.expected;
            v.delivered += pv.delivered;
            v.lost += pv.lost;
            v.duplicates += pv.duplicates;
            v.unexpected += pv.unexpected;
            v.lost_at_dropped_connections += pv.lost_at_dropped_connections;
        }
        for (i, phase) in out.phases.iter_mut().enumerate() {
            let same: Vec<&Phase> = parts.iter().filter_map(|p| p.phases.get(i)).collect();
            phase.seconds = same.iter().map(|p| p.seconds).fold(0.0, f64::max);
            phase.sent = same.iter().map(|p| p.sent).sum();
            phase.acked = same.iter().map(|p| p.acked).sum();
            phase.deliveries = same.iter().map(|p| p.deliveries).sum();
            phase.expected_deliveries = same.iter().map(|p| p.expected_deliveries).sum();
            phase.acked_per_s = same.iter().map(|p| p.acked_per_s).sum();
            phase.deliveries_per_s = same.iter().map(|p| p.deliveries_per_s).sum();
            phase.drained = same.iter().all(|p| p.drained);
            phase.errors = BTreeMap::new();
            for p in &same {
                for (k, n) in &p.errors {
                    *phase.errors.entry(k.clone()).or_default() += n;
                }
            }
            phase.latency = Latency::merge(&same.iter().map(|p| &p.latency).collect::<Vec<_>>());
            phase.ack_latency =
                Latency::merge(&same.iter().map(|p| &p.ack_latency).collect::<Vec<_>>());
            // Every shard watched the same server over (nearly) the same window.
            phase.server_cpu_s = same.iter().filter_map(|p| p.server_cpu_s).reduce(f64::max);
            phase.server_cpu_s_per_million_deliveries = phase
                .server_cpu_s
                .filter(|_| phase.deliveries > 0)
                .map(|cpu| cpu * 1e6 / phase.deliveries as f64);
            phase.server_rss_kib_end = same.iter().filter_map(|p| p.server_rss_kib_end).max();
        }
        Ok(out)
    }

    /// A short human summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} / {} ({} shard(s)): {} of {} connections held, {} connect errors, closed by server: {:?}\n",
            self.target,
            self.scenario,
            self.shards.len(),
            self.connections_held,
            self.connections_attempted,
            self.connect_errors,
            self.closed_by_server
        );
        if let Some(b) = self.server_rss_bytes_per_connection {
            s += &format!(
                "server RSS: {:?} KiB start, {:?} joined, {:?} held; {:.0} B per connection, {:.0} B per participant\n",
                self.server_rss_kib_start,
                self.server_rss_kib_joined,
                self.server_rss_kib_held,
                b,
                self.server_rss_bytes_per_participant.unwrap_or(0.0)
            );
        }
        for p in &self.phases {
            s += &format!("  {}\n", p.line());
        }
        let v = &self.verification;
        s += &format!(
            "verification: {} deliveries owed, {} delivered, {} lost, {} duplicates, {} unexpected, {} owed to dropped connections; {} presence frames, {} reconnects ({} events replayed, {} snapshots)\n",
            v.expected, v.delivered, v.lost, v.duplicates, v.unexpected, v.lost_at_dropped_connections,
            self.presence_frames, self.reconnects, self.resumed_events, self.snapshot_resyncs
        );
        s
    }
}

/// Readings of the server process from `/proc/<pid>`.
pub struct Proc {
    pid: Option<u32>,
    ticks: f64,
}

impl Proc {
    pub fn new(pid: Option<u32>) -> Proc {
        let ticks = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0);
        Proc { pid, ticks }
    }

    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    }

    /// User plus system CPU seconds the server used so far.
    pub fn cpu_s(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid?)).ok()?;
        // The command name may hold spaces: fields are counted after its closing paren.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / self.ticks)
    }
}

pub fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(str::to_string))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cpus} CPUs, {}, kernel {}",
        mem.split_whitespace().collect::<Vec<_>>().join(" "),
        kernel.trim()
    )
}
