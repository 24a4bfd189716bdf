//! Who is online: ephemeral, counted from live connections, never written to the log.
//!
//! Several tabs of one participant count once. When the last connection of a participant
//! goes, they are shown offline only after a short grace period, so a reconnect (a phone
//! switching networks) does not flicker.

use crate::domain::ParticipantId;
use std::collections::HashMap;
use tokio::time::{Duration, Instant};

/// How long a participant with no connection still counts as online.
pub const GRACE: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Presence {
    connections: HashMap<ParticipantId, usize>,
    /// Participants whose last connection went, and when they count as gone.
    leaving: HashMap<ParticipantId, Instant>,
}

impl Presence {
    /// A connection arrived. Returns `true` when the participant just came online.
    pub fn arrive(&mut self, p: ParticipantId) -> bool {
        let n = self.connections.entry(p).or_insert(0);
        *n += 1;
        let was_leaving = self.leaving.remove(&p).is_some();
        *n == 1 && !was_leaving
    }

    /// A connection went; the last one starts the grace period.
    pub fn depart(&mut self, p: ParticipantId, now: Instant) {
        if let Some(n) = self.connections.get_mut(&p) {
            *n -= 1;
            if *n == 0 {
                self.connections.remove(&p);
                self.leaving.insert(p, now + GRACE);
            }
        }
    }

    /// Forgets a participant at once (removed from the workshop). Returns whether they
    /// were shown online.
    pub fn forget(&mut self, p: ParticipantId) -> bool {
        let online = self.connections.remove(&p).is_some();
        self.leaving.remove(&p).is_some() || online
    }

    /// Participants whose grace period ended by `now`: they are offline now.
    pub fn gone(&mut self, now: Instant) -> Vec<ParticipantId> {
        let gone: Vec<ParticipantId> = self
            .leaving
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in &gone {
            self.leaving.remove(p);
        }
        gone
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.leaving.values().min().copied()
    }

    /// Everyone shown online, sorted.
    pub fn online(&self) -> Vec<ParticipantId> {
        let mut all: Vec<ParticipantId> = self
            .connections
            .keys()
            .chain(self.leaving.keys())
            .copied()
            .collect();
        all.sort();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_tabs_count_once_and_a_drop_shows_offline_after_the_grace() {
        let mut p = Presence::default();
        let ana = ParticipantId::random();
        let t0 = Instant::now();
        assert!(p.arrive(ana));
        assert!(!p.arrive(ana), "a second tab is not a new arrival");
        p.depart(ana, t0);
        assert_eq!(p.online(), vec![ana]);
        p.depart(ana, t0);
        assert_eq!(p.online(), vec![ana], "still online during the grace");
        assert!(p.gone(t0).is_empty());
        assert_eq!(p.gone(t0 + GRACE), vec![ana]);
        assert!(p.online().is_empty());
    }

    #[test]
    fn a_reconnect_within_the_grace_is_not_announced() {
        let mut p = Presence::default();
        let ana = ParticipantId::random();
        let t0 = Instant::now();
        p.arrive(ana);
        p.depart(ana, t0);
        assert!(!p.arrive(ana));
        assert!(p.gone(t0 + GRACE).is_empty());
        assert_eq!(p.online(), vec![ana]);
    }
}
