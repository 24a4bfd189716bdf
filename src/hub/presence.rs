//! Who is online: ephemeral, counted from live connections, never written to the log.
//!
//! Several tabs of one participant count once. When the last connection of a participant
//! goes, they are shown offline only after a short grace period, so a reconnect (a phone
//! switching networks) does not flicker.

use crate::domain::ParticipantId;
use std::collections::{BTreeSet, HashMap, HashSet};
use tokio::time::{Duration, Instant};

/// How long a participant with no connection still counts as online.
pub const GRACE: Duration = Duration::from_secs(5);

/// Who is online in one workshop. In a cluster the owner's counts: its own connections and
/// what each follower node reports (`remote`), which expires unless reported again.
#[derive(Default)]
pub struct Presence {
    /// This node's connections, by participant.
    connections: HashMap<ParticipantId, usize>,
    /// The participants each other node reported connected, until when the report holds.
    remote: HashMap<String, (HashSet<ParticipantId>, Instant)>,
    /// Participants whose last connection went, and when they count as gone.
    leaving: HashMap<ParticipantId, Instant>,
    /// Everyone shown online (announced and not yet announced gone).
    shown: BTreeSet<ParticipantId>,
}

impl Presence {
    fn connected(&self, p: &ParticipantId) -> bool {
        self.connections.contains_key(p) || self.remote.values().any(|(set, _)| set.contains(p))
    }

    /// A connection arrived. Returns `true` when the participant just came online.
    pub fn arrive(&mut self, p: ParticipantId) -> bool {
        *self.connections.entry(p).or_insert(0) += 1;
        self.leaving.remove(&p);
        self.shown.insert(p)
    }

    /// A connection went; the last one anywhere starts the grace period.
    pub fn depart(&mut self, p: ParticipantId, now: Instant) {
        if let Some(n) = self.connections.get_mut(&p) {
            *n -= 1;
            if *n == 0 {
                self.connections.remove(&p);
                if !self.connected(&p) {
                    self.leaving.insert(p, now + GRACE);
                }
            }
        }
    }

    /// Node `node` reports these participants connected to it, until `until`. Returns who
    /// just came online; who left that node starts the grace period (unless connected
    /// elsewhere).
    pub fn remote(
        &mut self,
        node: &str,
        participants: HashSet<ParticipantId>,
        now: Instant,
        until: Instant,
    ) -> Vec<ParticipantId> {
        let old = self
            .remote
            .insert(node.to_string(), (participants.clone(), until))
            .map(|(set, _)| set)
            .unwrap_or_default();
        let mut came = Vec::new();
        for p in participants {
            self.leaving.remove(&p);
            if self.shown.insert(p) {
                came.push(p);
            }
        }
        for p in old {
            if !self.connected(&p) && self.shown.contains(&p) {
                self.leaving.entry(p).or_insert(now + GRACE);
            }
        }
        came.sort();
        came
    }

    /// Shows `online` (another owner's list, on taking over) until the nodes report again.
    pub fn seed(&mut self, online: &[ParticipantId], now: Instant) {
        for p in online {
            if self.shown.insert(*p) && !self.connected(p) {
                self.leaving.insert(*p, now + GRACE);
            }
        }
    }

    /// Forgets a participant at once (removed from the workshop). Returns whether they
    /// were shown online.
    pub fn forget(&mut self, p: ParticipantId) -> bool {
        self.connections.remove(&p);
        for (set, _) in self.remote.values_mut() {
            set.remove(&p);
        }
        self.leaving.remove(&p);
        self.shown.remove(&p)
    }

    /// Participants whose grace period ended by `now`: they are offline now. Reports of
    /// other nodes that were not renewed by `now` lapse first (their node may be gone).
    pub fn gone(&mut self, now: Instant) -> Vec<ParticipantId> {
        let lapsed: Vec<String> = self
            .remote
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(node, _)| node.clone())
            .collect();
        for node in lapsed {
            if let Some((set, _)) = self.remote.remove(&node) {
                for p in set {
                    if !self.connected(&p) && self.shown.contains(&p) {
                        self.leaving.entry(p).or_insert(now + GRACE);
                    }
                }
            }
        }
        let mut gone: Vec<ParticipantId> = self
            .leaving
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(p, _)| *p)
            .collect();
        gone.sort();
        for p in &gone {
            self.leaving.remove(p);
            self.shown.remove(p);
        }
        gone
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        let reports = self.remote.values().map(|(_, until)| until);
        self.leaving.values().chain(reports).min().copied()
    }

    /// Everyone shown online, sorted.
    pub fn online(&self) -> Vec<ParticipantId> {
        self.shown.iter().copied().collect()
    }

    /// The participants connected to this node, sorted (a follower's report to the owner).
    pub fn local(&self) -> Vec<ParticipantId> {
        let mut all: Vec<ParticipantId> = self.connections.keys().copied().collect();
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

    #[test]
    fn another_nodes_participants_count_until_their_report_lapses() {
        let mut p = Presence::default();
        let (ana, bo) = (ParticipantId::random(), ParticipantId::random());
        let t0 = Instant::now();
        let until = t0 + Duration::from_secs(3);
        assert_eq!(p.remote("n2", [ana, bo].into(), t0, until), {
            let mut v = vec![ana, bo];
            v.sort();
            v
        });
        assert!(!p.arrive(ana), "already online through n2");
        assert!(p.remote("n2", [ana].into(), t0, until).is_empty());
        assert!(p.gone(t0 + GRACE).contains(&bo), "bo left n2");
        // n2 stops reporting: ana is still here locally, so she stays.
        assert!(p.gone(until + GRACE).is_empty());
        assert_eq!(p.online(), vec![ana]);
        p.depart(ana, until + GRACE);
        assert_eq!(p.gone(until + GRACE + GRACE), vec![ana]);
        assert!(p.online().is_empty());
    }
}
