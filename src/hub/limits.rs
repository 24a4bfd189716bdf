//! Flood control and liveness settings for connections: command rate limits (per
//! connection and per participant, with `governor`), the close for sustained abuse, the
//! number of connections one participant may hold, the ping/idle timers, and the size of a
//! workshop's inbox.
//!
//! A command refused by a rate limit is answered `rate_limited` and never reaches the
//! workshop, so nothing is recorded under its `id`: resending it later with the same `id`
//! runs it normally. Documented in `docs/PROTOCOL.md` ("Flood control").

use crate::domain::ParticipantId;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// The hub-wide part: per-participant rates and connection counts.
pub struct Guards {
    pub limits: Limits,
    participants: Option<DefaultKeyedRateLimiter<ParticipantId>>,
    connections: DashMap<ParticipantId, usize>,
    closes: AtomicU64,
}

impl Guards {
    pub fn new(limits: Limits) -> Guards {
        Guards {
            participants: quota(limits.participant_rate, limits.participant_burst)
                .map(RateLimiter::keyed),
            limits,
            connections: DashMap::new(),
            closes: AtomicU64::new(0),
        }
    }

    /// Counts one more connection of `participant`, or refuses it when they hold the
    /// maximum already. The slot is given back when the returned guard drops.
    pub fn connect(&self, participant: ParticipantId) -> Option<Slot<'_>> {
        let max = self.limits.max_connections_per_participant;
        let mut count = self.connections.entry(participant).or_insert(0);
        if max != 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            guards: self,
            participant,
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

    fn release(&self, participant: ParticipantId) {
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
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.guards.release(self.participant);
    }
}

/// The per-connection part: its own rate and its count of refusals.
pub struct ConnectionLimiter {
    rate: Option<DefaultDirectRateLimiter>,
    flood_close_after: u32,
    refused: u32,
    window_start: Instant,
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
    pub fn new(limits: &Limits) -> ConnectionLimiter {
        ConnectionLimiter {
            rate: quota(limits.connection_rate, limits.connection_burst).map(RateLimiter::direct),
            flood_close_after: limits.flood_close_after,
            refused: 0,
            window_start: Instant::now(),
        }
    }

    /// Checks one command of `participant` against this connection's rate, then the
    /// participant's.
    pub fn check(&mut self, guards: &Guards, participant: ParticipantId) -> Verdict {
        let own = match &self.rate {
            Some(limiter) => limiter.check().map_err(|not_until| Refused {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            }),
            None => Ok(()),
        };
        let refused = match own.and_then(|()| guards.check_participant(participant)) {
            Ok(()) => return Verdict::Pass,
            Err(refused) => refused,
        };
        let now = Instant::now();
        if now.duration_since(self.window_start) > FLOOD_WINDOW {
            self.window_start = now;
            self.refused = 0;
        }
        self.refused += 1;
        if self.flood_close_after != 0 && self.refused >= self.flood_close_after {
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
        let mut c = ConnectionLimiter::new(&l);
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
        let mut c = ConnectionLimiter::new(&l);
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
        let (mut a, mut b) = (ConnectionLimiter::new(&l), ConnectionLimiter::new(&l));
        for _ in 0..2 {
            assert!(matches!(a.check(&guards, p), Verdict::Pass));
            assert!(matches!(b.check(&guards, p), Verdict::Pass));
        }
        assert!(matches!(a.check(&guards, p), Verdict::Refuse(_)));
        assert!(matches!(b.check(&guards, p), Verdict::Refuse(_)));
        assert!(matches!(a.check(&guards, other), Verdict::Pass));
    }

    #[test]
    fn connection_slots_are_counted_and_given_back() {
        let guards = Guards::new(Limits {
            max_connections_per_participant: 2,
            ..Limits::default()
        });
        let p = ParticipantId::random();
        let one = guards.connect(p).expect("first");
        let two = guards.connect(p).expect("second");
        assert!(guards.connect(p).is_none());
        assert!(guards.connect(ParticipantId::random()).is_some());
        drop(one);
        assert_eq!(guards.connections_of(p), 1);
        let _three = guards.connect(p).expect("a slot came free");
        drop(two);
        assert_eq!(guards.connections_of(p), 1);
    }
}
