//! What every simulated participant of a run shares: the latency histograms, the counters
//! and the bit sets of posts seen, merged into the report at the end.

use hdrhistogram::Histogram;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// A set of small integers (post counters).
#[derive(Clone, Default, Debug)]
pub struct Bits(Vec<u64>);

impl Bits {
    /// Sets bit `n`; returns whether it was already set.
    pub fn set(&mut self, n: u32) -> bool {
        let (word, bit) = ((n / 64) as usize, n % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        let was = self.0[word] & (1 << bit) != 0;
        self.0[word] |= 1 << bit;
        was
    }

    pub fn count(&self) -> u64 {
        self.0.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// How many bits of `self` are not in `other`.
    pub fn missing_from(&self, other: &Bits) -> u64 {
        self.0
            .iter()
            .enumerate()
            .map(|(i, w)| u64::from((w & !other.0.get(i).copied().unwrap_or(0)).count_ones()))
            .sum()
    }
}

/// Counters and histograms shared by every connection of this process.
pub struct Shared {
    pub server: SocketAddr,
    /// Other nodes of a cluster (`--spread`): connection `id` goes to
    /// `[server, spread…][id % n]`.
    pub spread: Vec<SocketAddr>,
    pub sources: Vec<IpAddr>,
    pub payload: usize,
    pub connected: AtomicU64,
    pub settled: AtomicU64,
    pub connect_errors: AtomicU64,
    pub connect_error_samples: Mutex<Vec<String>>,
    /// Connections the server closed, by close code.
    pub closed_by_server: Mutex<HashMap<String, u64>>,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub inflight: AtomicI64,
    /// Burst posts scheduled but not sent yet.
    pub scheduled: AtomicI64,
    pub errors: Mutex<HashMap<String, u64>>,
    pub delivered: AtomicU64,
    pub duplicates: AtomicU64,
    pub expected: AtomicU64,
    pub presence: AtomicU64,
    pub other_frames: AtomicU64,
    pub away: AtomicI64,
    pub reconnects: AtomicU64,
    pub resumed_events: AtomicU64,
    pub snapshot_resyncs: AtomicU64,
    pub latency: Vec<Mutex<Histogram<u64>>>,
    pub ack_latency: Vec<Mutex<Histogram<u64>>>,
}

pub const HISTOGRAM_SHARDS: usize = 16;

pub fn histogram() -> Histogram<u64> {
    // 1 µs to 10 minutes, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

impl Shared {
    pub fn new(server: SocketAddr, sources: Vec<IpAddr>, payload: usize) -> Shared {
        let shards = || {
            (0..HISTOGRAM_SHARDS)
                .map(|_| Mutex::new(histogram()))
                .collect()
        };
        Shared {
            server,
            spread: Vec::new(),
            sources,
            payload,
            connected: AtomicU64::new(0),
            settled: AtomicU64::new(0),
            connect_errors: AtomicU64::new(0),
            connect_error_samples: Mutex::default(),
            closed_by_server: Mutex::default(),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            inflight: AtomicI64::new(0),
            scheduled: AtomicI64::new(0),
            errors: Mutex::default(),
            delivered: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            presence: AtomicU64::new(0),
            other_frames: AtomicU64::new(0),
            away: AtomicI64::new(0),
            reconnects: AtomicU64::new(0),
            resumed_events: AtomicU64::new(0),
            snapshot_resyncs: AtomicU64::new(0),
            latency: shards(),
            ack_latency: shards(),
        }
    }

    /// Empties the latency histograms (at the start of a measured phase).
    pub fn reset_latency(&self) {
        for h in self.latency.iter().chain(&self.ack_latency) {
            h.lock().expect("histogram lock").reset();
        }
    }

    /// The delivery and ack latency histograms merged over every shard.
    pub fn take_latency(&self) -> (Histogram<u64>, Histogram<u64>) {
        let merge = |shards: &[Mutex<Histogram<u64>>]| {
            let mut all = histogram();
            for h in shards {
                all.add(&*h.lock().expect("histogram lock"))
                    .expect("same bounds");
            }
            all
        };
        (merge(&self.latency), merge(&self.ack_latency))
    }

    pub fn count(map: &Mutex<HashMap<String, u64>>, key: &str) {
        *map.lock()
            .expect("counter lock")
            .entry(key.to_string())
            .or_default() += 1;
    }

    pub fn connect_failed(&self, why: String) {
        self.connect_errors.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.connect_error_samples.lock().expect("samples lock");
        if samples.len() < 10 {
            samples.push(why);
        }
    }
}
