//! Flood control and liveness settings for connections: command rate limits (per
//! connection with a hand-written GCRA of 8 bytes, per participant with `governor`'s keyed
//! limiter), the close for sustained abuse, the
//! number of connections one participant may hold, the ping/idle timers, and the size of a
//! workshop's inbox.
//!
//! A command refused by a rate limit is answered `rate_limited` and never reaches the
//! workshop, so nothing is recorded under its `id`: resending it later with the same `id`
//! runs it normally. Documented in `docs/PROTOCOL.md` ("Flood control").

use crate::domain::ParticipantId;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The window in which refused commands are counted towards a flood close.
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// Every setting, as configured (`src/config.rs`). A rate of 0 turns that limit off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Commands per second one connection may sustain.
    pub connection_rate: u32,
    /// Commands one connection may send at once before the rate applies.
    pub connection_burst: u32,
    /// Commands per second one participant may sustain over all their connections.
    pub participant_rate: u32,
    pub participant_burst: u32,
    /// Refused (rate-limited) commands within `FLOOD_WINDOW` after which the connection is
    /// closed with `close::FLOODING`. 0: never close.
    pub flood_close_after: u32,
    /// Open connections one participant may hold; one more is closed with
    /// `close::TOO_MANY_CONNECTIONS` right after `hello`. 0: no limit.
    pub max_connections_per_participant: usize,
    /// How often the server pings a connection.
    pub ping_interval: Duration,
    /// Silence (no frame, no pong) after which a connection is closed as dead.
    pub idle_timeout: Duration,
    /// Time a new connection has to send `hello`.
    pub hello_timeout: Duration,
    /// Time one write (a piece of a frame, or the flush after a burst) may take.
    pub write_timeout: Duration,
    /// Messages a workshop actor's inbox holds; a connection (or REST request) that finds it
    /// full waits for room (back-pressure: the connection stops reading its socket), counted
    /// by `cabildo_inbox_full_total`.
    pub inbox_capacity: usize,
    /// How long a workshop with no connection and no running timer stays in memory before
    /// its actor stops (`--workshop-idle-evict`); `None`: never.
    pub idle_evict: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connection_rate: 20,
            connection_burst: 100,
            participant_rate: 40,
            participant_burst: 200,
            flood_close_after: 200,
            max_connections_per_participant: 10,
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            hello_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            inbox_capacity: super::workshop::INBOX_CAPACITY,
            idle_evict: Some(super::workshop::IDLE_EVICT),
        }
    }
}

fn quota(rate: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Some(Quota::per_second(rate).allow_burst(burst))
}

/// Why a command was refused: how long until one more would pass.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    pub retry_after: Duration,
}

/// The hub-wide part: per-participant rates, connection counts, and the shutdown as the
/// connections see it.
pub struct Guards {
    pub limits: Limits,
    participants: Option<DefaultKeyedRateLimiter<ParticipantId>>,
    connections: DashMap<ParticipantId, usize>,
    closes: AtomicU64,
    /// Set once, when the server begins to shut down.
    shutting_down: AtomicBool,
    /// The waker of each open connection's task, by connection id: woken at shutdown. Kept
    /// here rather than a `watch::Receiver` and its `changed()` future in every task.
    wakers: DashMap<u64, Waker>,
}

impl Guards {
    pub fn new(limits: Limits) -> Guards {
        Guards {
            participants: quota(limits.participant_rate, limits.participant_burst)
                .map(RateLimiter::keyed),
            limits,
            connections: DashMap::new(),
            closes: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            wakers: DashMap::new(),
        }
    }

    /// Tells every open connection that the server shuts down (`Slot::poll_shutdown`).
    pub fn begin_shutdown(&self) {
        // Set before the wakers are read: a connection registering its waker meanwhile
        // finds the flag set when it checks it, after registering.
        self.shutting_down.store(true, Ordering::SeqCst);
        for waker in self.wakers.iter() {
            waker.wake_by_ref();
        }
    }

    /// Counts one more connection `conn` of `participant`, or refuses it when they hold
    /// the maximum already. The slot is given back when the returned guard drops.
    pub fn connect(&self, participant: ParticipantId, conn: u64) -> Option<Slot<'_>> {
        let max = self.limits.max_connections_per_participant;
        let mut count = self.connections.entry(participant).or_insert(0);
        if max != 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            guards: self,
            participant,
            conn,
            registered: AtomicBool::new(false),
        })
    }

    /// Open connections of `participant`.
    pub fn connections_of(&self, participant: ParticipantId) -> usize {
        self.connections.get(&participant).map_or(0, |c| *c)
    }

    fn check_participant(&self, participant: ParticipantId) -> Result<(), Refused> {
        match &self.participants {
            Some(limiter) => limiter
                .check_key(&participant)
                .map_err(|not_until| Refused {
                    retry_after: not_until.wait_time_from(DefaultClock::default().now()),
                }),
            None => Ok(()),
        }
    }

    fn release(&self, participant: ParticipantId, conn: u64) {
        self.wakers.remove(&conn);
        self.connections.remove_if_mut(&participant, |_, count| {
            *count = count.saturating_sub(1);
            *count == 0
        });
        // Forget the rate state of participants idle long enough to be back at a full
        // burst, now and then, so the keyed limiter does not grow without bound.
        if self.closes.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            if let Some(limiter) = &self.participants {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

/// One participant's connection slot; dropping it frees the slot.
pub struct Slot<'a> {
    guards: &'a Guards,
    participant: ParticipantId,
    conn: u64,
    /// The connection's waker is in `Guards::wakers`.
    registered: AtomicBool,
}

impl Slot<'_> {
    /// Ready once the server shuts down. The waker is registered at the first poll only:
    /// the connection is polled as one tokio task, whose waker never changes.
    pub fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.registered.swap(true, Ordering::Relaxed) {
            self.guards.wakers.insert(self.conn, cx.waker().clone());
        }
        if self.guards.shutting_down.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.guards.release(self.participant, self.conn);
    }
}

/// Nanoseconds since the first call: the clock of the per-connection limits, so that each
/// keeps a `u64` rather than an `Instant`.
fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One connection's rate, by the generic cell rate algorithm (the one `governor` runs,
/// with the same rates, bursts and waits): only the theoretical arrival time of the next
/// command is kept, where `governor`'s direct limiter kept its clock, quota and start in
/// every connection's task.
#[derive(Debug, Default)]
struct Gcra {
    /// When the next command is due at the sustained rate, in `now_ns` time; 0 at first.
    tat: u64,
}

impl Gcra {
    /// Counts one command at `now` against `rate` per second with `burst` at once, or
    /// refuses it with the wait until one would pass. `rate` is not 0.
    fn check(&mut self, rate: u32, burst: u32, now: u64) -> Result<(), Refused> {
        // The interval between two commands at the sustained rate, and how far ahead of it
        // a burst may run.
        let interval = (1_000_000_000 / u64::from(rate.max(1))).max(1);
        let tolerance = interval * u64::from(burst.max(1) - 1);
        let earliest = self.tat.saturating_sub(tolerance);
        if now < earliest {
            return Err(Refused {
                retry_after: Duration::from_nanos(earliest - now),
            });
        }
        self.tat = self.tat.max(now).saturating_add(interval);
        Ok(())
    }
}

/// The per-connection part: its own rate and its count of refusals. The settings are read
/// from `Guards::limits` at each check, not copied into every connection.
#[derive(Debug, Default)]
pub struct ConnectionLimiter {
    rate: Gcra,
    /// Start of the current `FLOOD_WINDOW`, in `now_ns` time.
    window_start: u64,
    refused: u32,
}

/// What to do with one incoming command.
#[derive(Debug)]
pub enum Verdict {
    Pass,
    /// Answer `rate_limited`.
    Refuse(Refused),
    /// Answer `rate_limited`, then close with `close::FLOODING`.
    Close(Refused),
}

impl ConnectionLimiter {
    pub fn new() -> ConnectionLimiter {
        ConnectionLimiter {
            window_start: now_ns(),
            ..ConnectionLimiter::default()
        }
    }

    /// Checks one command of `participant` against this connection's rate, then the
    /// participant's.
    pub fn check(&mut self, guards: &Guards, participant: ParticipantId) -> Verdict {
        let limits = &guards.limits;
        let now = now_ns();
        let own = match limits.connection_rate {
            0 => Ok(()),
            rate => self.rate.check(rate, limits.connection_burst, now),
        };
        let refused = match own.and_then(|()| guards.check_participant(participant)) {
            Ok(()) => return Verdict::Pass,
            Err(refused) => refused,
        };
        let window = u64::try_from(FLOOD_WINDOW.as_nanos()).unwrap_or(u64::MAX);
        if now.saturating_sub(self.window_start) > window {
            self.window_start = now;
            self.refused = 0;
        }
        self.refused += 1;
        let close_after = limits.flood_close_after;
        if close_after != 0 && self.refused >= close_after {
            Verdict::Close(refused)
        } else {
            Verdict::Refuse(refused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: u32, burst: u32, close_after: u32) -> Limits {
        Limits {
            connection_rate: rate,
            connection_burst: burst,
            participant_rate: 0,
            participant_burst: 0,
            flood_close_after: close_after,
            ..Limits::default()
        }
    }

    #[test]
    fn a_burst_passes_then_commands_are_refused_then_the_connection_is_closed() {
        let l = limits(1, 5, 3);
        let guards = Guards::new(l.clone());
        let mut c = ConnectionLimiter::new();
        let p = ParticipantId::random();
        for _ in 0..5 {
            assert!(matches!(c.check(&guards, p), Verdict::Pass));
        }
        assert!(matches!(c.check(&guards, p), Verdict::Refuse(_)));
        assert!(matches!(c.check(&guards, p), Verdict::Refuse(_)));
        match c.check(&guards, p) {
            Verdict::Close(r) => assert!(r.retry_after > Duration::ZERO),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_rate_of_zero_means_no_limit() {
        let l = limits(0, 0, 1);
        let guards = Guards::new(l.clone());
        let mut c = ConnectionLimiter::new();
        let p = ParticipantId::random();
        for _ in 0..10_000 {
            assert!(matches!(c.check(&guards, p), Verdict::Pass));
        }
    }

    #[test]
    fn the_participant_limit_spans_connections() {
        let l = Limits {
            connection_rate: 0,
            participant_rate: 1,
            participant_burst: 4,
            flood_close_after: 0,
            ..Limits::default()
        };
        let guards = Guards::new(l.clone());
        let p = ParticipantId::random();
        let other = ParticipantId::random();
        let (mut a, mut b) = (ConnectionLimiter::new(), ConnectionLimiter::new());
        for _ in 0..2 {
            assert!(matches!(a.check(&guards, p), Verdict::Pass));
            assert!(matches!(b.check(&guards, p), Verdict::Pass));
        }
        assert!(matches!(a.check(&guards, p), Verdict::Refuse(_)));
        assert!(matches!(b.check(&guards, p), Verdict::Refuse(_)));
        assert!(matches!(a.check(&guards, other), Verdict::Pass));
    }

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn the_gcra_lets_a_burst_pass_then_refuses_with_the_wait_until_the_next() {
        let mut gcra = Gcra::default();
        let start = 5 * SECOND;
        for _ in 0..4 {
            assert!(gcra.check(2, 4, start).is_ok());
        }
        let refused = gcra.check(2, 4, start).expect_err("over the burst");
        // At 2 per second, one more is allowed half a second after the burst.
        assert_eq!(refused.retry_after, Duration::from_millis(500));
        let later = start + SECOND / 5;
        let refused = gcra.check(2, 4, later).expect_err("still over");
        assert_eq!(refused.retry_after, Duration::from_millis(300));
        assert!(gcra.check(2, 4, start + SECOND / 2).is_ok());
        assert!(gcra.check(2, 4, start + SECOND / 2).is_err());
    }

    #[test]
    fn the_gcra_refills_at_its_rate_up_to_its_burst() {
        let mut gcra = Gcra::default();
        for _ in 0..3 {
            assert!(gcra.check(10, 3, 0).is_ok());
        }
        assert!(gcra.check(10, 3, 0).is_err());
        // A tenth of a second gives one command back.
        assert!(gcra.check(10, 3, SECOND / 10).is_ok());
        assert!(gcra.check(10, 3, SECOND / 10).is_err());
        // A long pause gives back the whole burst, never more.
        let rested = 100 * SECOND;
        for _ in 0..3 {
            assert!(gcra.check(10, 3, rested).is_ok());
        }
        assert!(gcra.check(10, 3, rested).is_err());
        // A burst of 0 is taken as 1, as `governor` did.
        let mut single = Gcra::default();
        assert!(single.check(1, 0, 0).is_ok());
        assert_eq!(
            single
                .check(1, 0, 0)
                .expect_err("one at a time")
                .retry_after,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn connection_slots_are_counted_and_given_back() {
        let guards = Guards::new(Limits {
            max_connections_per_participant: 2,
            ..Limits::default()
        });
        let p = ParticipantId::random();
        let one = guards.connect(p, 1).expect("first");
        let two = guards.connect(p, 1).expect("second");
        assert!(guards.connect(p, 1).is_none());
        assert!(guards.connect(ParticipantId::random(), 2).is_some());
        drop(one);
        assert_eq!(guards.connections_of(p), 1);
        let _three = guards.connect(p, 1).expect("a slot came free");
        drop(two);
        assert_eq!(guards.connections_of(p), 1);
    }

    #[tokio::test]
    async fn shutdown_wakes_every_slot_once_and_finds_later_ones_too() {
        let guards = Guards::new(Limits::default());
        let slot = guards.connect(ParticipantId::random(), 7).expect("slot");
        let waiting = std::future::poll_fn(|cx| slot.poll_shutdown(cx));
        let (begin, started) = tokio::sync::oneshot::channel();
        let shutdown = async {
            started.await.expect("started");
            guards.begin_shutdown();
        };
        let waited = async {
            let _ = begin.send(());
            waiting.await;
        };
        let both = async { tokio::join!(waited, shutdown) };
        tokio::time::timeout(Duration::from_secs(10), both)
            .await
            .expect("the waiting slot was woken");
        let late = guards.connect(ParticipantId::random(), 8).expect("slot");
        assert!(
            std::future::poll_fn(|cx| Poll::Ready(late.poll_shutdown(cx)))
                .await
                .is_ready()
        );
        drop((slot, late));
        assert!(
            guards.wakers.is_empty(),
            "wakers are forgotten with their slot"
        );
    }
}
