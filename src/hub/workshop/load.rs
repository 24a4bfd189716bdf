//! Bringing a workshop into memory and letting it go again.
//!
//! - **Loading**: the latest snapshot of the workshop's state (if one of this format
//!   `VERSION` is stored and decodes) and the events after it; else the whole log. The log
//!   stays the truth: a snapshot that cannot be used is ignored, never trusted half.
//! - **Snapshots**: written every `snapshot_gap` events (`SNAPSHOT_EVERY`, or more for a
//!   workshop whose snapshot is large, plus an offset of the workshop's own, so that equally
//!   busy workshops do not all snapshot at once); after
//!   a load that replayed a long tail; and when the actor stops cleanly (evicted, or at
//!   shutdown). The actor encodes the state between batches (it then holds only committed
//!   events) and a background task stores it, off the commit's path: with SQLite it rides
//!   in the writer's next group commit (`Store::save_snapshot`).
//! - **Eviction**: an actor with no connection, no running timer and no presence grace
//!   running, that has received nothing but cluster heartbeats for the idle period
//!   (`--workshop-idle-evict`), asks the registry to drop its handle (`hub::Evictor`). The
//!   registry agrees only while it holds the one handle left and the inbox is empty, so no
//!   message can reach a stopping actor: the next caller loads a fresh one.

use super::{
    forward, ActorSetup, Event, HubError, Msg, Presence, Recent, Role, WorkshopActor,
    WorkshopHandle,
};
use crate::domain::timers;
use crate::domain::visibility::{self, Audience, Reshape};
use crate::domain::{Workshop, WorkshopId};
use crate::hub::outbox::Frame;
use crate::metrics;
use crate::protocol::moving_event_frame;
use crate::store::{CommandRecord, LoadedWorkshop, Snapshot, Store, StoreError, StoredEvent};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The snapshot format. Bump it when `Workshop` changes in a way old snapshots would be
/// misread (a field whose value derives from events an older snapshot already folded in);
/// stored snapshots of another version are ignored and rewritten.
pub const VERSION: i64 = 1;
/// Events after which a live actor stores a new snapshot, at the least (`snapshot_gap`).
pub const SNAPSHOT_EVERY: u64 = 1_000;
/// Bytes of snapshot written per event logged, at most: a workshop whose last snapshot
/// took `n` bytes waits `n / SNAPSHOT_BYTES_PER_EVENT` events for the next one if that is
/// more than `SNAPSHOT_EVERY`. An event's row is a few hundred bytes; a large workshop's
/// snapshot (megabytes: every card) every 1,000 events wrote several times the log's own
/// bytes, and every post in the commit that carried it, or queued behind it, waited for
/// it (issue #19). The log after a snapshot stays within a few times its size, so a load
/// after a crash replays about as much as it decodes.
const SNAPSHOT_BYTES_PER_EVENT: u64 = 100;
/// A load that replayed more events than this stores a snapshot at once.
const SNAPSHOT_AFTER_TAIL: usize = 100;

/// Distinguishes actors of the same workshop over time (a reloaded one is a new actor).
static SERIAL: AtomicU64 = AtomicU64::new(1);

/// Events between two snapshots of workshop `id`, whose last snapshot took `last_bytes`:
/// `SNAPSHOT_EVERY`, or `SNAPSHOT_BYTES_PER_EVENT` bytes of it per event if that is more,
/// plus an offset below half that derived from the id. Equally busy workshops started
/// together would otherwise all snapshot at the same moment, every time, and their
/// snapshots would be written in the same commit. Stable for a given size.
fn snapshot_gap(id: WorkshopId, last_bytes: usize) -> u64 {
    let by_size = u64::try_from(last_bytes).unwrap_or(u64::MAX) / SNAPSHOT_BYTES_PER_EVENT;
    let gap = SNAPSHOT_EVERY.max(by_size);
    let bits = id.0.as_u128();
    // Fibonacci hashing: ids that differ in a few bits only still get offsets far apart.
    let mixed = ((bits >> 64) as u64 ^ bits as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    gap + (mixed >> 32) % (gap / 2)
}

/// The snapshot of `state`.
pub fn encode(state: &Workshop) -> Result<Snapshot, serde_json::Error> {
    Ok(Snapshot {
        version: VERSION,
        seq: state.seq,
        next_due: timers::next_due(state),
        body: serde_json::to_string(state)?,
    })
}

/// The state a stored snapshot holds, if it is of this format and consistent with its
/// row (same workshop, same `seq`); `None` for anything else.
pub fn decode(id: WorkshopId, snapshot: &Snapshot) -> Option<Workshop> {
    if snapshot.version != VERSION {
        return None;
    }
    let state: Workshop = serde_json::from_str(&snapshot.body).ok()?;
    (state.id == id && state.seq == snapshot.seq && state.settings.is_some()).then_some(state)
}

/// A workshop as read from the store, for an actor.
pub struct Stored {
    /// The state of the snapshot used, if one was.
    pub base: Option<Workshop>,
    /// Its encoded length (0 without one): the next snapshot's gap grows with it.
    pub base_bytes: usize,
    /// The codes, commit number, idempotency records, and the events after `base`.
    pub log: LoadedWorkshop,
    /// When reading began (for `cabildo_workshop_load_seconds`).
    pub started: Instant,
}

impl Stored {
    /// A workshop just created: its first events, no snapshot.
    pub fn created(log: LoadedWorkshop) -> Stored {
        Stored {
            base: None,
            base_bytes: 0,
            log,
            started: Instant::now(),
        }
    }
}

/// Reads workshop `id`: its snapshot and the log after it, or the whole log when there is
/// no usable snapshot. `None` if the workshop does not exist.
pub async fn read(store: &Store, id: WorkshopId) -> Result<Option<Stored>, StoreError> {
    let started = Instant::now();
    let (base, base_bytes) = match store.snapshot(id).await {
        Ok(Some(snapshot)) => {
            let state = decode(id, &snapshot);
            if state.is_none() {
                tracing::warn!(workshop = %id, version = snapshot.version, seq = snapshot.seq,
                    "ignoring a snapshot of another format or unreadable; replaying the log");
            }
            let bytes = if state.is_some() {
                snapshot.body.len()
            } else {
                0
            };
            (state, bytes)
        }
        Ok(None) => (None, 0),
        Err(e) => {
            tracing::warn!(workshop = %id, error = %e, "could not read the snapshot; replaying the log");
            (None, 0)
        }
    };
    let after = base.as_ref().map_or(0, |s| s.seq);
    let Some(log) = store.load_after(id, after).await? else {
        return Ok(None);
    };
    Ok(Some(Stored {
        base,
        base_bytes,
        log,
        started,
    }))
}

impl WorkshopActor {
    /// Rebuilds a workshop from its snapshot and stored log and spawns its actor.
    pub fn spawn(
        id: WorkshopId,
        stored: Stored,
        tasks: &tokio_util::task::TaskTracker,
        setup: ActorSetup,
    ) -> Result<WorkshopHandle, HubError> {
        let ActorSetup {
            store,
            cluster,
            audio,
            role,
            inbox_capacity,
            evictor,
        } = setup;
        let Stored {
            base,
            base_bytes,
            log,
            started,
        } = stored;
        let (tx, inbox) = mpsc::channel(inbox_capacity.max(1));
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let from_snapshot = base.is_some();
        let base = base.unwrap_or_else(|| Workshop::empty(id));
        let mut actor = WorkshopActor {
            snapshot_seq: if from_snapshot { base.seq } else { 0 },
            snapshot_bytes: base_bytes,
            state: Workshop::empty(id),
            rev: log.rev,
            codes: log.codes,
            store,
            cluster,
            done: HashMap::new(),
            joins: log
                .joins
                .into_iter()
                .map(|j| (j.key_hash.clone(), j))
                .collect(),
            subscribers: HashMap::new(),
            audiences: None,
            recent: VecDeque::new(),
            inbox,
            presence: Presence::default(),
            decided: Vec::new(),
            pipeline: Default::default(),
            audio,
            own: forward::Ownership::new(role),
            serial,
            evictor,
            last_active: Instant::now(),
            evicted: false,
            window_partial: from_snapshot,
        };
        let tail = log.events.len();
        actor.replay_from(base, log.events, log.commands)?;
        let source = if from_snapshot { "snapshot" } else { "log" };
        metrics::workshop_loaded(source, tail, started.elapsed());
        if tail > SNAPSHOT_AFTER_TAIL {
            actor.store_snapshot();
        }
        tasks.spawn(actor.run());
        Ok(WorkshopHandle { id, tx, serial })
    }

    /// Rebuilds the state from the whole log `events`.
    pub(super) fn replay(
        &mut self,
        events: Vec<StoredEvent>,
        commands: Vec<CommandRecord>,
    ) -> Result<(), HubError> {
        self.replay_from(Workshop::empty(self.state.id), events, commands)
    }

    /// Rebuilds the state from `base` and the events after it.
    fn replay_from(
        &mut self,
        base: Workshop,
        events: Vec<StoredEvent>,
        commands: Vec<CommandRecord>,
    ) -> Result<(), HubError> {
        self.state = base;
        self.audiences = None;
        self.recent.clear();
        for stored in events {
            let event: Event = serde_json::from_str(&stored.body).map_err(|e| {
                tracing::error!(workshop = %self.state.id, seq = stored.seq, error = %e, "unreadable event in the log");
                HubError::unavailable()
            })?;
            self.apply_and_remember(&stored, &event);
        }
        self.done = commands
            .into_iter()
            .map(|c| ((c.participant, c.command_id), c.outcome))
            .collect();
        Ok(())
    }

    /// Applies a stored event and keeps it for replay, with who may see it (judged on the
    /// state before it) and whose view it reshapes.
    pub(super) fn apply_and_remember(
        &mut self,
        stored: &StoredEvent,
        event: &Event,
    ) -> (Frame, Audience, Reshape) {
        let audience = Audience::of(&self.state, event);
        let reshape = Reshape::of(self.state.settings.as_ref(), event);
        self.state.apply(stored.seq, event);
        if let Event::CodeRotated { role, code } = event {
            match role {
                Role::Delegate => self.codes.delegate.clone_from(code),
                Role::Facilitator => self.codes.facilitator.clone_from(code),
                Role::Organizer => {}
            }
        }
        let moved = visibility::moved_in(&self.state, event);
        let frame: Frame =
            moving_event_frame(stored.seq, stored.at, stored.actor, &stored.body, &moved).into();
        if self.recent.len() == super::REPLAY_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            seq: stored.seq,
            audience,
            reshape: reshape.clone(),
            frame: frame.clone(),
        });
        (frame, audience, reshape)
    }

    /// Whether one of these messages is a `hello` that resumes from before the first event
    /// the replay window holds (but within `REPLAY_WINDOW` events of now).
    pub(super) fn resumes_before_window(&self, later: &[Msg]) -> bool {
        let first_kept = self.recent.front().map_or(self.state.seq + 1, |r| r.seq);
        later.iter().any(|m| match m {
            Msg::Subscribe {
                last_seq: Some(last),
                ..
            } => {
                *last < self.state.seq
                    && last + 1 < first_kept
                    && self.state.seq - last <= super::REPLAY_WINDOW as u64
            }
            _ => false,
        })
    }

    /// Loaded from a snapshot, the replay window holds only the log's tail: before
    /// welcoming a `hello` that resumes from before it (`resumes_before_window`), replay
    /// the whole log once, so the client gets exactly what it missed, as if the workshop
    /// had never left memory. Returns `false` if the actor cannot go on.
    pub(super) async fn widen_window(&mut self) -> bool {
        match self.rebuild(self.state.seq).await {
            super::Progress::Done => {
                self.window_partial = false;
                true
            }
            super::Progress::Unavailable => true,
            super::Progress::Broken => false,
        }
    }

    /// Stores a snapshot in the background when `snapshot_gap` events passed since the
    /// last one.
    pub(super) fn snapshot_if_due(&mut self) {
        if self.snapshot_due() && self.pipeline.is_empty() {
            self.store_snapshot();
        }
    }

    /// Whether `snapshot_gap` events passed since the last snapshot. While one is due, no
    /// batch is decided before those in flight settle: the snapshot waits for a state the
    /// log holds whole.
    pub(super) fn snapshot_due(&self) -> bool {
        self.state.seq >= self.snapshot_seq + snapshot_gap(self.state.id, self.snapshot_bytes)
    }

    /// Encodes the state now and stores it from a background task: the actor goes on with
    /// the next batch meanwhile. Called between batches only, so the snapshot's `seq` is
    /// one the log already holds.
    fn store_snapshot(&mut self) {
        let Some(snapshot) = self.encode_snapshot() else {
            return;
        };
        let store = self.store.clone();
        let id = self.state.id;
        tokio::spawn(async move { save(&store, id, snapshot).await });
    }

    fn encode_snapshot(&mut self) -> Option<Snapshot> {
        match encode(&self.state) {
            Ok(snapshot) => {
                self.snapshot_seq = self.state.seq;
                self.snapshot_bytes = snapshot.body.len();
                Some(snapshot)
            }
            Err(e) => {
                tracing::error!(workshop = %self.state.id, error = %e, "cannot encode a snapshot");
                None
            }
        }
    }

    /// After the inbox closed with the state whole: stores a snapshot if the last one is
    /// behind (waiting until it is written, so that shutdown closes the store only after
    /// it), and (evicted, in a cluster) gives up this node's lease.
    pub(super) async fn stopped_cleanly(&mut self) {
        if self.state.seq > self.snapshot_seq {
            if let Some(snapshot) = self.encode_snapshot() {
                save(&self.store, self.state.id, snapshot).await;
            }
        }
        if self.evicted {
            // Counted once the snapshot is stored, so whoever sees the count finds it.
            metrics::workshop_evicted();
        }
        if !self.evicted || !self.owns() {
            return;
        }
        if let Some(cluster) = &self.cluster {
            if let Err(e) = self
                .store
                .release_workshop(self.state.id, cluster.node())
                .await
            {
                tracing::warn!(workshop = %self.state.id, error = %e, "could not give up the lease of an evicted workshop");
            }
        }
    }

    /// A batch arrived: anything but cluster heartbeats and commit notices makes the
    /// workshop active now.
    pub(super) fn note_activity(&mut self, msgs: &[Msg]) {
        if msgs
            .iter()
            // The nodes' own chatter (several nodes) is not activity.
            .any(|m| {
                !matches!(
                    m,
                    Msg::Beat { .. }
                        | Msg::Notify { .. }
                        | Msg::Here { .. }
                        | Msg::OwnerPresence { .. }
                )
            })
        {
            self.last_active = Instant::now();
        }
    }

    /// When the actor may be evicted: its idle period after the last activity, while no
    /// connection is subscribed, no timer runs and no presence grace period runs.
    pub(super) fn evict_at(&self) -> Option<Instant> {
        let evictor = self.evictor.as_ref().filter(|_| !self.evicted)?;
        let idle = self.subscribers.is_empty()
            && self.pipeline.is_empty()
            && timers::next_due(&self.state).is_none()
            && self.presence.next_deadline().is_none();
        idle.then(|| self.last_active + evictor.after)
    }

    /// Asks the registry to drop this actor's handle. Once it did, no sender is left: the
    /// inbox reports closed and the loop ends, storing a snapshot. Refused (someone holds
    /// a handle, or a message waits), the idle period starts again.
    pub(super) fn try_evict(&mut self) {
        let Some(evictor) = &self.evictor else {
            return;
        };
        let inbox = &self.inbox;
        if evictor.evict(self.serial, || inbox.is_empty()) {
            self.evicted = true;
            tracing::debug!(workshop = %self.state.id, "workshop evicted after its idle period");
        } else {
            self.last_active = Instant::now();
        }
    }
}

async fn save(store: &Store, id: WorkshopId, snapshot: Snapshot) {
    match store.save_snapshot(id, snapshot).await {
        // (SQLite: also when left out, the workshop erased meanwhile.)
        Ok(()) => metrics::snapshot_written(),
        // Also when the store closed first (at shutdown: the log is the truth, and start-up
        // finds the snapshot behind it), or (PostgreSQL) the workshop was erased meanwhile.
        Err(e) => tracing::debug!(workshop = %id, error = %e, "snapshot not stored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ParticipantId, RoomId};

    fn created() -> Workshop {
        let id = WorkshopId::random();
        use crate::domain::settings::{default_columns, default_themes};
        let settings = crate::domain::Settings {
            title: "Snapshots".into(),
            language: "en".into(),
            languages: vec!["en".into()],
            columns: default_columns(),
            themes: default_themes(),
            votes_per_participant: 5,
            max_votes_per_card: None,
            votes_visibility: Default::default(),
            delegates_can_group: false,
        };
        let events = Workshop::create(
            id,
            settings,
            vec!["A".into(), "B".into()],
            [RoomId::random(), RoomId::random()],
            ParticipantId::random(),
        )
        .unwrap();
        let mut state = Workshop::empty(id);
        for (i, e) in events.iter().enumerate() {
            state.apply(i as u64 + 1, e);
        }
        state
    }

    #[test]
    fn snapshot_gaps_are_bounded_and_differ_between_workshops() {
        let random = (0..1_000).map(|_| WorkshopId::random());
        let counted = (0..1_000u128).map(|n| WorkshopId(uuid::Uuid::from_u128(n)));
        for id in random.chain(counted) {
            for bytes in [0, 50_000, 100_000] {
                let gap = snapshot_gap(id, bytes);
                let spread = SNAPSHOT_EVERY / 2;
                assert!((SNAPSHOT_EVERY..SNAPSHOT_EVERY + spread).contains(&gap));
                assert_eq!(gap, snapshot_gap(id, bytes), "stable");
            }
        }
        // Ten workshops whose ids differ in one low bit, or in one high bit.
        for shift in [0, 100] {
            let gaps: std::collections::HashSet<u64> = (1..=10u128)
                .map(|n| snapshot_gap(WorkshopId(uuid::Uuid::from_u128(n << shift)), 0))
                .collect();
            assert!(gaps.len() >= 9, "gaps {gaps:?} (ids shifted by {shift})");
        }
    }

    #[test]
    fn a_large_snapshot_waits_for_events_in_proportion() {
        for _ in 0..1_000 {
            let id = WorkshopId::random();
            // 1.5 MB: a workshop of some 3,000 cards.
            let gap = snapshot_gap(id, 1_500_000);
            assert!((15_000..22_500).contains(&gap), "{gap}");
            assert!(snapshot_gap(id, 3_000_000) > gap, "grows with the size");
        }
    }

    #[test]
    fn a_snapshot_decodes_to_the_state_it_was_taken_of() {
        let state = created();
        let snapshot = encode(&state).unwrap();
        assert_eq!(snapshot.seq, state.seq);
        assert_eq!(decode(state.id, &snapshot), Some(state));
    }

    #[test]
    fn snapshots_of_another_version_or_unreadable_or_inconsistent_are_ignored() {
        let state = created();
        let good = encode(&state).unwrap();
        let other_version = Snapshot {
            version: VERSION + 1,
            ..good.clone()
        };
        assert_eq!(decode(state.id, &other_version), None);
        let corrupt = Snapshot {
            body: good.body[..good.body.len() / 2].to_string(),
            ..good.clone()
        };
        assert_eq!(decode(state.id, &corrupt), None);
        let garbage = Snapshot {
            body: "{\"id\": 3}".into(),
            ..good.clone()
        };
        assert_eq!(decode(state.id, &garbage), None);
        let wrong_seq = Snapshot {
            seq: good.seq + 1,
            ..good.clone()
        };
        assert_eq!(decode(state.id, &wrong_seq), None);
        assert_eq!(decode(WorkshopId::random(), &good), None);
    }

    /// The registry's side of eviction, driven by hand: refused while anyone else holds a
    /// handle (a connection between its token check and its `hello`) or while a message
    /// waits; once it is done, the next caller gets a fresh, live actor, never the stopping
    /// one.
    #[tokio::test]
    async fn eviction_is_refused_while_a_handle_is_held_and_the_next_caller_gets_a_fresh_actor() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Database::Sqlite(dir.path().join("db"))
            .open()
            .await
            .unwrap();
        let hub = crate::hub::Hub::new(store);
        let created = hub
            .create_workshop(crate::hub::NewWorkshop {
                settings: created().settings.unwrap(),
                rooms: vec!["A".into()],
            })
            .await
            .unwrap();
        let id = created.id;
        let evictor = crate::hub::Evictor {
            live: std::sync::Arc::downgrade(&hub.live),
            id,
            after: std::time::Duration::ZERO,
        };
        let held = hub.workshop(id).await.unwrap();
        let serial = held.serial;
        assert!(!evictor.evict(serial, || true), "a handle is held");
        assert_eq!(hub.live_workshops(), 1);
        drop(held);
        assert!(!evictor.evict(serial, || false), "a message waits");
        assert!(!evictor.evict(serial + 1, || true), "another actor's");
        assert!(evictor.evict(serial, || true));
        assert_eq!(hub.live_workshops(), 0);
        let fresh = hub.workshop(id).await.unwrap();
        assert_ne!(fresh.serial, serial);
        assert!(!fresh.is_closed());
        assert_eq!(hub.live_workshops(), 1);
    }
}
