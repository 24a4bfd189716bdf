//! The hub: the registry of live workshops and the connections to them.
//!
//! A workshop is loaded from the store the first time anyone needs it and then lives as one
//! actor task (`workshop.rs`). The registry (`DashMap`) holds only handles; it never holds
//! workshop state. Connections (`connection.rs`) talk to actors through their inboxes.
//!
//! Architecture invariant: only the actor of a workshop changes that workshop.

mod audiences;
pub mod connection;
mod errors;
pub mod limits;
pub mod outbox;
mod peers;
pub mod presence;
pub mod wake;
pub mod workshop;

use crate::auth;
use crate::cluster::{Cluster, Incoming};
use crate::domain::{ParticipantId, Room, RoomId, Settings, Workshop, WorkshopId};
use crate::protocol::{ErrorCode, Outcome};
use crate::store::{Batch, Codes, Credential, LoadedWorkshop, Store, StoreError, StoredEvent};
use dashmap::DashMap;
pub use errors::HubError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, OnceCell};
use tokio_util::task::TaskTracker;
pub use workshop::{
    Answer, CodeInfo, Decider, JoinRequest, Joined, Msg, Query, Reply, WorkshopActor,
    WorkshopHandle,
};

/// In a cluster, how often each node asks PostgreSQL whether the workshops it serves moved
/// on, only while Redis is unreachable (the backfill for the owners' lost notifications).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Server time: ms since the Unix epoch. The one clock of the hub (the domain has none).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What an organizer asks for when creating a workshop (already defaulted).
pub struct NewWorkshop {
    pub settings: Settings,
    pub rooms: Vec<String>,
}

/// A workshop just created, with the secrets handed out once.
pub struct CreatedWorkshop {
    pub id: WorkshopId,
    pub organizer: ParticipantId,
    pub organizer_token: String,
    pub codes: Codes,
    pub rooms: Vec<Room>,
    pub settings: Settings,
}

/// The live workshops by id. The `OnceCell` makes concurrent first accesses load a
/// workshop once.
type Registry = DashMap<WorkshopId, Arc<OnceCell<WorkshopHandle>>>;

/// What lets an idle actor go (`--workshop-idle-evict`): the registry drops its handle,
/// only while that is the one handle left and the actor's inbox is empty (checked under
/// the registry's lock for that id), so no message can reach a stopping actor and the next
/// caller loads a fresh one.
pub struct Evictor {
    live: std::sync::Weak<Registry>,
    id: WorkshopId,
    /// How long an actor stays idle before it goes.
    pub after: Duration,
}

impl Evictor {
    /// Drops the registry's handle of actor `serial` if nobody else holds one and `idle()`
    /// (the inbox is empty); returns whether it did.
    pub(crate) fn evict(&self, serial: u64, idle: impl FnOnce() -> bool) -> bool {
        let Some(live) = self.live.upgrade() else {
            return false;
        };
        live.remove_if(&self.id, |_, cell| {
            Arc::strong_count(cell) == 1
                && cell.get().is_some_and(|h| h.is_only_handle_of(serial))
                && idle()
        })
        .is_some()
    }
}

pub struct Hub {
    store: Store,
    live: Arc<Registry>,
    next_conn: AtomicU64,
    /// Flips to `true` when the server shuts down; every connection watches it.
    shutdown: watch::Sender<bool>,
    /// Every actor and connection task, so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Rate limits, connection counts and liveness timers for connections.
    pub guards: limits::Guards,
    /// Set when several nodes share the database (`--redis`).
    cluster: Option<Arc<Cluster>>,
    /// The workshops let go at shutdown, still reachable by the owner's answers while they
    /// run (`Hub::released_handle`).
    released: DashMap<WorkshopId, workshop::WeakHandle>,
    /// Set when the server drives a Janus for audio (`--janus-url`).
    audio: std::sync::OnceLock<Arc<crate::audio::Audio>>,
}

impl Hub {
    /// A hub for a single node.
    pub fn new(store: Store) -> Arc<Hub> {
        Hub::with_limits(store, limits::Limits::default(), None)
    }

    /// A hub that shares its workshops with other nodes: it announces its commits through
    /// `cluster`, and catches up on the other nodes' commits as `incoming` reports them and
    /// as its poll of the store finds them.
    pub fn clustered(
        store: Store,
        limits: limits::Limits,
        cluster: Arc<Cluster>,
        incoming: mpsc::Receiver<Incoming>,
    ) -> Arc<Hub> {
        let hub = Self::with_limits(store, limits, Some(cluster.clone()));
        tokio::spawn(peers::follow(Arc::downgrade(&hub), incoming));
        hub.tasks.spawn(peers::leases(
            Arc::downgrade(&hub),
            cluster,
            hub.shutdown_signal(),
        ));
        hub
    }

    pub fn with_limits(
        store: Store,
        limits: limits::Limits,
        cluster: Option<Arc<Cluster>>,
    ) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            live: Arc::new(DashMap::new()),
            next_conn: AtomicU64::new(1),
            shutdown: watch::channel(false).0,
            tasks: TaskTracker::new(),
            guards: limits::Guards::new(limits),
            cluster,
            released: DashMap::new(),
            audio: std::sync::OnceLock::new(),
        })
    }

    /// Turns audio on; before any workshop is loaded, so every actor gets its hook.
    pub fn enable_audio(&self, audio: Arc<crate::audio::Audio>) {
        let _set_once = self.audio.set(audio);
    }

    pub fn audio(&self) -> Option<&Arc<crate::audio::Audio>> {
        self.audio.get()
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// The handle of workshop `id` if it is live on this node.
    pub(crate) fn live_handle(&self, id: WorkshopId) -> Option<WorkshopHandle> {
        self.live.get(&id).and_then(|cell| cell.get().cloned())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// A receiver whose `changed()` completes when shutdown begins, or at once if it has
    /// begun already (a connection accepted during shutdown is closed, not welcomed).
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        let mut signal = self.shutdown.subscribe();
        if *signal.borrow() {
            signal.mark_changed();
        }
        signal
    }

    /// Asks every connection to finish and close with `close::RESTARTING`, then lets the
    /// actors drain their inboxes and stop.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
        self.guards.begin_shutdown();
        self.tasks.close();
    }

    /// Drops the registry's handles so that idle actors stop once connections are gone.
    pub fn release_workshops(&self) {
        for live in self.live.iter() {
            if let Some(handle) = live.value().get() {
                self.released.insert(*live.key(), handle.downgrade());
            }
        }
        self.live.clear();
    }

    pub fn live_workshops(&self) -> usize {
        self.live.len()
    }

    fn spawn_actor(
        &self,
        id: WorkshopId,
        stored: workshop::load::Stored,
        role: Decider,
    ) -> Result<WorkshopHandle, HubError> {
        let evictor = self.guards.limits.idle_evict.map(|after| Evictor {
            live: Arc::downgrade(&self.live),
            id,
            after,
        });
        WorkshopActor::spawn(
            id,
            stored,
            &self.tasks,
            workshop::ActorSetup {
                store: self.store.clone(),
                cluster: self.cluster.clone(),
                audio: crate::audio::AudioHook::new(self.audio(), id),
                role,
                inbox_capacity: self.guards.limits.inbox_capacity,
                evictor,
            },
        )
    }

    /// Who decides workshop `id`: on a single node, this node; in a cluster, the holder of
    /// its lease, which this node takes if it is free or ran out.
    async fn role(&self, id: WorkshopId) -> Result<Decider, HubError> {
        let Some(cluster) = &self.cluster else {
            return Ok(Decider::Owner);
        };
        let lease = workshop::LEASE.as_millis() as i64;
        let (owner, _epoch) = self.store.claim(id, cluster.node(), lease).await?;
        Ok(if owner == cluster.node() {
            Decider::Owner
        } else {
            Decider::Follower {
                owner: Some(owner),
                heard: tokio::time::Instant::now(),
            }
        })
    }

    /// The live workshop `id`, loading it from the store if needed.
    pub async fn workshop(&self, id: WorkshopId) -> Result<WorkshopHandle, HubError> {
        // A second try when the first finds a stopped actor (its store failed earlier): the
        // store may be back, and the caller should not pay for the old failure.
        for _ in 0..2 {
            let cell = self.live.entry(id).or_default().clone();
            let result = cell
                .get_or_try_init(|| async {
                    let stored = workshop::load::read(&self.store, id)
                        .await?
                        .ok_or_else(HubError::not_found)?;
                    let role = self.role(id).await?;
                    self.spawn_actor(id, stored, role)
                })
                .await
                .cloned();
            match result {
                Ok(handle) if !handle.is_closed() => return Ok(handle),
                Ok(_) => {
                    // The actor stopped: forget it, so that the next try reloads.
                    self.live.remove_if(&id, |_, c| Arc::ptr_eq(c, &cell));
                }
                Err(e) => {
                    self.live.remove_if(&id, |_, c| Arc::ptr_eq(c, &cell));
                    return Err(e);
                }
            }
        }
        Err(HubError::unavailable())
    }

    /// Every stored workshop as its committed events make it, with its join codes and the
    /// time (ms) of its creation: the admin's list (`GET /api/admin/workshops`). It reads
    /// every workshop from the store (its snapshot and the log's tail), without loading
    /// it into an actor: for an organizer's page, not a hot path.
    pub async fn stored_workshops(&self) -> Result<Vec<StoredWorkshop>, HubError> {
        let mut out = Vec::new();
        for (id, created) in self.store.workshop_list().await? {
            let Some(stored) = workshop::load::read(&self.store, id).await? else {
                continue;
            };
            let mut state = stored.base.unwrap_or_else(|| Workshop::empty(id));
            for event in &stored.log.events {
                if let Ok(parsed) = serde_json::from_str::<crate::domain::Event>(&event.body) {
                    state.apply(event.seq, &parsed);
                }
            }
            out.push(StoredWorkshop {
                created,
                state: Box::new(state),
                codes: stored.log.codes,
            });
        }
        Ok(out)
    }

    /// Creates a workshop and its organizer; returns the secrets to hand out.
    pub async fn create_workshop(&self, new: NewWorkshop) -> Result<CreatedWorkshop, HubError> {
        let id = WorkshopId::random();
        let organizer = ParticipantId::random();
        let room_ids: Vec<RoomId> = new.rooms.iter().map(|_| RoomId::random()).collect();
        let events = Workshop::create(id, new.settings, new.rooms, room_ids, organizer)?;
        let at = now_ms();
        let mut state = Workshop::empty(id);
        let mut batch = Batch::default();
        for (i, event) in events.iter().enumerate() {
            let seq = i as u64 + 1;
            state.apply(seq, event);
            let body = serde_json::to_string(event)
                .map_err(|_| HubError::new(ErrorCode::Invalid, "unencodable workshop"))?;
            batch.events.push(StoredEvent {
                seq,
                at,
                actor: None,
                body,
            });
        }
        let settings = state
            .settings
            .clone()
            .ok_or_else(|| HubError::new(ErrorCode::Invalid, "the workshop has no settings"))?;
        let organizer_token = auth::new_token();
        batch.credentials.push(Credential {
            token_hash: auth::hash_token(&organizer_token),
            participant: organizer,
        });
        let mut attempt = 0;
        let codes = loop {
            let codes = Codes {
                facilitator: auth::new_facilitator_code(),
                delegate: auth::new_code(),
            };
            match self.store.create_workshop(id, &codes, &batch).await {
                Ok(()) => break codes,
                Err(StoreError::CodeTaken) if attempt < 5 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let batch_events = batch.events.len();
        let loaded = LoadedWorkshop {
            codes: codes.clone(),
            // `create_workshop` is the first commit.
            rev: 1,
            events: batch.events,
            commands: Vec::new(),
            joins: Vec::new(),
        };
        // The creating node owns the workshop; should the lease not be taken now (the
        // database just failed), the first beat finds out who owns it.
        let role = match self.role(id).await {
            Ok(role) => role,
            Err(_) => Decider::Follower {
                owner: None,
                heard: tokio::time::Instant::now(),
            },
        };
        let handle = self.spawn_actor(id, workshop::load::Stored::created(loaded), role)?;
        self.live
            .insert(id, Arc::new(OnceCell::new_with(Some(handle))));
        crate::metrics::workshop_created();
        crate::metrics::events_committed(batch_events);
        Ok(CreatedWorkshop {
            id,
            organizer,
            organizer_token,
            codes,
            rooms: state.rooms,
            settings,
        })
    }

    /// Joins workshop `id` with a code; the code decides the role.
    pub async fn join(&self, id: WorkshopId, request: JoinRequest) -> Result<Joined, HubError> {
        let handle = self.workshop(id).await?;
        let (reply, answer) = oneshot::channel();
        handle.send(Msg::Join { request, reply }).await?;
        let joined = answer.await.map_err(|_| HubError::unavailable())??;
        crate::metrics::participant_joined();
        Ok(joined)
    }

    /// What a join code opens: the workshop, the role and what the join page shows.
    pub async fn lookup_code(
        &self,
        code: &str,
    ) -> Result<Option<(WorkshopId, CodeInfo)>, HubError> {
        let code = auth::normalize_code(code);
        if code.is_empty() || code.len() > 64 {
            return Ok(None);
        }
        let Some(id) = self.store.workshop_by_code(&code).await? else {
            return Ok(None);
        };
        let handle = match self.workshop(id).await {
            Ok(handle) => handle,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let (reply, answer) = oneshot::channel();
        handle.send(Msg::Describe { code, reply }).await?;
        let info = answer.await.map_err(|_| HubError::unavailable())?;
        Ok(info.map(|info| (id, info)))
    }

    /// Finds the workshop and participant a token belongs to.
    pub async fn authenticate(
        &self,
        token: &str,
    ) -> Result<(WorkshopHandle, ParticipantId), HubError> {
        let unauthorized = || HubError::new(ErrorCode::Unauthorized, "unknown or revoked token");
        if token.is_empty() || token.len() > 256 {
            return Err(unauthorized());
        }
        let (workshop, participant) = self
            .store
            .credential(&auth::hash_token(token))
            .await?
            .ok_or_else(unauthorized)?;
        Ok((self.workshop(workshop).await?, participant))
    }

    /// The participant of workshop `id` that `token` belongs to. An unknown workshop is
    /// `not_found` whoever asks (also once erased); a token of another workshop is
    /// `forbidden`; an unknown token for a known workshop is `unauthorized`.
    pub async fn authenticate_for(
        &self,
        token: &str,
        id: WorkshopId,
    ) -> Result<(WorkshopHandle, ParticipantId), HubError> {
        match self.authenticate(token).await {
            Ok((handle, participant)) if handle.id == id => Ok((handle, participant)),
            Ok(_) => {
                self.workshop(id).await?;
                Err(HubError::new(
                    ErrorCode::Forbidden,
                    "that token belongs to another workshop",
                ))
            }
            Err(e) if e.code == ErrorCode::Unauthorized => {
                self.workshop(id).await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Erases workshop `id` for good, for its organizer (`token`): every stored row goes,
    /// its connections close with `close::ERASED`, and its tokens stop working.
    pub async fn erase(&self, token: &str, id: WorkshopId) -> Result<(), HubError> {
        let (handle, by) = self.authenticate_for(token, id).await?;
        let (reply, answer) = oneshot::channel();
        handle.send(Msg::Erase { by, reply }).await?;
        answer.await.map_err(|_| HubError::unavailable())??;
        self.live.remove(&id);
        crate::metrics::workshop_erased();
        Ok(())
    }

    /// A staff report of workshop `id`, for the holder of `token`.
    pub async fn report(
        &self,
        token: &str,
        id: WorkshopId,
        query: Query,
    ) -> Result<String, HubError> {
        let (handle, participant) = self.authenticate_for(token, id).await?;
        let (reply, answer) = oneshot::channel();
        handle
            .send(Msg::Query {
                participant,
                query,
                reply,
            })
            .await?;
        answer.await.map_err(|_| HubError::unavailable())?
    }

    /// A copy of workshop `id` as it is now, for the holder of an organizer's or
    /// facilitator's `token` to export.
    pub async fn export_snapshot(
        &self,
        token: &str,
        id: WorkshopId,
    ) -> Result<Box<Workshop>, HubError> {
        let (handle, participant) = self.authenticate_for(token, id).await?;
        let (reply, answer) = oneshot::channel();
        handle.send(Msg::Export { participant, reply }).await?;
        let snapshot = answer.await.map_err(|_| HubError::unavailable())??;
        if snapshot.cards.values().all(|c| c.earlier_revisions == 0) {
            return Ok(snapshot);
        }
        self.full_record(&snapshot).await
    }

    /// The workshop as `live` is, but with every card's whole audit record: the live state
    /// keeps only each card's latest changes, so the export replays the log up to `live`.
    async fn full_record(&self, live: &Workshop) -> Result<Box<Workshop>, HubError> {
        let loaded = self
            .store
            .load(live.id)
            .await?
            .ok_or_else(HubError::not_found)?;
        let mut full = Workshop::empty(live.id);
        full.history_kept = usize::MAX;
        for stored in loaded.events.iter().take_while(|e| e.seq <= live.seq) {
            let event: crate::domain::Event = serde_json::from_str(&stored.body).map_err(|e| {
                tracing::error!(workshop = %live.id, seq = stored.seq, error = %e, "unreadable event in the log");
                HubError::unavailable()
            })?;
            full.apply(stored.seq, &event);
        }
        Ok(Box::new(full))
    }

    /// The session history of `live` (`export::history`), read from its log up to
    /// `live.seq`, for the JSON record of an export.
    pub async fn export_history(
        &self,
        live: &Workshop,
    ) -> Result<Vec<crate::export::history::HistoryEntry>, HubError> {
        let loaded = self
            .store
            .load(live.id)
            .await?
            .ok_or_else(HubError::not_found)?;
        let mut logged = Vec::new();
        for stored in loaded.events.iter().take_while(|e| e.seq <= live.seq) {
            let event: crate::domain::Event = serde_json::from_str(&stored.body).map_err(|e| {
                tracing::error!(workshop = %live.id, seq = stored.seq, error = %e, "unreadable event in the log");
                HubError::unavailable()
            })?;
            logged.push((stored.at, stored.actor, event));
        }
        Ok(crate::export::history::from_log(
            logged.iter().map(|(at, by, event)| (*at, *by, event)),
        ))
    }

    /// Runs one command in-process, as `participant`, and waits for its outcome.
    pub async fn execute(
        &self,
        workshop: &WorkshopHandle,
        participant: ParticipantId,
        id: String,
        command: crate::domain::Command,
    ) -> Result<Outcome, HubError> {
        let (tx, rx) = oneshot::channel();
        workshop
            .send(Msg::Command {
                from: participant,
                id,
                command,
                reply: Reply::Direct(tx),
            })
            .await?;
        rx.await.map_err(|_| HubError::unavailable())
    }
}

/// One workshop of `Hub::stored_workshops`.
pub struct StoredWorkshop {
    pub state: Box<Workshop>,
    pub codes: Codes,
    /// When it was created (ms since the Unix epoch).
    pub created: i64,
}
